<?php

namespace App\Octane;

use App\Metrics\Storage\MemoryStorage;
use Illuminate\Support\ServiceProvider;
use Laravel\Octane\Facades\Octane;

/**
 * Swoole variant only (config/app.php registers it when Laravel Octane is installed): the metrics
 * registry keeps its samples in a Swoole Table shared by all workers, and /metrics adds the
 * swoole_* series from Server::stats(). Nothing here is loaded by the FPM image.
 */
class OctaneServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        if (! extension_loaded('swoole') || config('metrics.storage') !== 'swoole') {
            return;
        }
        // inside an Octane worker the Swoole server is bound; artisan commands of the same image
        // (migrate, queue:work) have no server and no tables: they keep a process-local storage
        $this->app->singleton('metrics.storage.local', fn ($app) => $app->bound(\Swoole\Http\Server::class)
            ? new SwooleTableStorage(Octane::table('metrics'))
            : new MemoryStorage());
        $this->app->extend('metrics.collectors', function (array $collectors, $app) {
            $collectors[] = new SwooleStatsCollector(
                fn () => $app->bound(\Swoole\Http\Server::class) ? $app->make(\Swoole\Http\Server::class) : null,
                fn () => Octane::table('workers'),
            );

            return $collectors;
        });
    }
}
