<?php

namespace App\Providers;

use App\Metrics\Collectors\FpmPoolCollector;
use App\Metrics\Collectors\OpcacheCollector;
use App\Metrics\Collectors\ProcessCollector;
use App\Metrics\Collectors\QueueSizeCollector;
use App\Metrics\Registry;
use App\Metrics\Storage;
use App\Metrics\Storage\ApcuStorage;
use App\Metrics\Storage\MemoryStorage;
use App\Metrics\Storage\RedisStorage;
use Illuminate\Cache\Events\CacheHit;
use Illuminate\Cache\Events\CacheMissed;
use Illuminate\Database\Events\QueryExecuted;
use Illuminate\Queue\Events\JobFailed;
use Illuminate\Queue\Events\JobProcessed;
use Illuminate\Queue\Events\Looping;
use Illuminate\Support\Facades\Event;
use Illuminate\Support\ServiceProvider;

/**
 * Wires the Prometheus registry: local storage by runtime (APCu for FPM; the Octane provider
 * swaps in a Swoole Table), Redis for the queue counters, and the framework events that feed it.
 */
class MetricsServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        $this->app->singleton('metrics.storage.local', function () {
            $prefix = (string) config('metrics.prefix');

            return match (config('metrics.storage')) {
                'apcu' => function_exists('apcu_enabled') && apcu_enabled() ? new ApcuStorage($prefix) : new MemoryStorage(),
                default => new MemoryStorage(),
            };
        });
        $this->app->singleton('metrics.storage.shared', fn ($app) => new RedisStorage(
            fn () => $app['redis']->connection(config('metrics.redis_connection')),
            (string) config('metrics.prefix'),
        ));
        $this->app->bind(Storage::class, fn ($app) => $app['metrics.storage.local']);

        $this->app->singleton('metrics.collectors', fn ($app) => array_values(array_filter([
            new ProcessCollector((string) config('app.version'), (string) config('app.runtime')),
            new OpcacheCollector(),
            config('app.runtime') === 'fpm' ? new FpmPoolCollector((int) config('metrics.fpm_max_children')) : null,
            new QueueSizeCollector($app['queue'], (array) config('queue.monitored')),
        ])));

        $this->app->scoped(Registry::class, fn ($app) => new Registry(
            $app['metrics.storage.local'],
            $app['metrics.storage.shared'],
            $app['metrics.collectors'],
            array_map('floatval', (array) config('metrics.buckets')),
        ));
    }

    public function boot(): void
    {
        Event::listen(QueryExecuted::class, function (QueryExecuted $e) {
            $this->app->make(Registry::class)->observe(
                'laravel_db_query_duration_seconds', ['connection' => $e->connectionName], $e->time / 1000,
            );
        });
        Event::listen(CacheHit::class, fn (CacheHit $e) => $this->app->make(Registry::class)
            ->increment('laravel_cache_hits_total', ['store' => (string) ($e->storeName ?? config('cache.default'))]));
        Event::listen(CacheMissed::class, fn (CacheMissed $e) => $this->app->make(Registry::class)
            ->increment('laravel_cache_misses_total', ['store' => (string) ($e->storeName ?? config('cache.default'))]));

        // the worker is its own process: its counters go to Redis, where any pod's /metrics reads them
        Event::listen(JobProcessed::class, function (JobProcessed $e) {
            if (! $e->job->isReleased() && ! $e->job->hasFailed()) {
                $this->app->make(Registry::class)->increment('laravel_queue_jobs_processed_total', [
                    'queue' => (string) $e->job->getQueue(), 'job' => $e->job->resolveName(),
                ]);
            }
        });
        Event::listen(JobFailed::class, fn (JobFailed $e) => $this->app->make(Registry::class)
            ->increment('laravel_queue_jobs_failed_total', [
                'queue' => (string) $e->job->getQueue(), 'job' => $e->job->resolveName(),
            ]));

        // liveness of queue:work: the worker image's HEALTHCHECK checks the heartbeat's age
        Event::listen(Looping::class, function () {
            $file = (string) config('queue.heartbeat_file');
            if ($file !== '') {
                @touch($file);
            }
        });
    }
}
