<?php

namespace App\Providers;

use App\Health\Readiness;
use App\Metrics\Storage\MemoryStorage;
use App\Octane\LeakController;
use App\Octane\SwooleReadiness;
use App\Octane\SwooleStatsCollector;
use App\Octane\SwooleTableStorage;
use App\Octane\SwooleWorker;
use App\Octane\WriteServerState;
use Illuminate\Support\Facades\Route;
use Illuminate\Support\ServiceProvider;
use Laravel\Octane\Facades\Octane;

/**
 * The app's side of an Octane worker, Swoole variant only (config/app.php registers it after
 * Laravel\Octane\OctaneServiceProvider, where Octane is installed and ext-swoole loaded): the
 * metrics registry keeps its samples in a Swoole Table shared by all workers, /metrics adds the
 * swoole_* series from Server::stats(), /ready adds the workers check, `app:octane-state` writes
 * the state file the entrypoint starts Swoole from, and the test-only leak route exists when
 * enabled. Nothing here is loaded by the FPM image.
 */
class OctaneWorkerServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        // inside a Swoole worker the server is bound; artisan commands of the same image (migrate,
        // queue:work) and Octane's test worker have none: they keep the FPM-side behaviour
        $this->app->bind(Readiness::class, fn ($app) => SwooleWorker::server($app) !== null
            ? $app->make(SwooleReadiness::class)
            : $app->build(Readiness::class));

        if (! extension_loaded('swoole') || config('metrics.storage') !== 'swoole') {
            return;
        }
        $this->app->singleton('metrics.storage.local', fn ($app) => SwooleWorker::server($app) !== null
            ? new SwooleTableStorage(Octane::table('metrics'))
            : new MemoryStorage());
        $this->app->extend('metrics.collectors', function (array $collectors, $app) {
            $collectors[] = new SwooleStatsCollector(
                fn () => SwooleWorker::server($app),
                fn () => SwooleWorker::table($app, 'workers') ?? [],
            );

            return $collectors;
        });
    }

    public function boot(): void
    {
        if ($this->app->runningInConsole()) {
            $this->commands([WriteServerState::class]);
        }
        if (config('octane.test_leak_route') === true) {
            Route::get('/api/_test/leak', LeakController::class)->name('test.leak');
        }
    }
}
