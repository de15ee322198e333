<?php

namespace App\Providers;

use App\Metrics\Registry;
use App\Metrics\RequestContext;
use App\Tracing\OtlpJsonExporter;
use App\Tracing\QueueTracing;
use App\Tracing\Sampler;
use App\Tracing\SpanKind;
use App\Tracing\Tracer;
use Illuminate\Container\Container;
use Illuminate\Database\Events\QueryExecuted;
use Illuminate\Queue\Events\JobExceptionOccurred;
use Illuminate\Queue\Events\JobProcessed;
use Illuminate\Queue\Events\JobProcessing;
use Illuminate\Redis\Events\CommandExecuted;
use Illuminate\Support\Facades\Event;
use Illuminate\Support\Facades\Queue;
use Illuminate\Support\ServiceProvider;
use Psr\Log\LoggerInterface;
use Symfony\Component\HttpClient\HttpClient;

/**
 * Distributed tracing (config/tracing.php, docs/OBSERVABILITY.md "Tracing"): the per-request
 * Tracer (scoped, like RequestContext), the exporter (one per process), the queue payload hook
 * and job listeners (the request id always; the trace with tracing on), and, with tracing on
 * only, a CLIENT span per database query and per Redis command. Tracing off (no endpoint): no
 * listener on queries or Redis, Redis events stay disabled, no span is made.
 *
 * Listed before AppServiceProvider (config/app.php): its JobProcessing listener restores the
 * request id and trace before the "job processing" line is logged, its end-of-job listeners run
 * after every provider booted, so after the "job processed" line too.
 * The listeners resolve the Tracer from the current container, never from the one that booted:
 * under Octane that is each request's sandbox.
 */
class TracingServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        $this->app->singleton(OtlpJsonExporter::class, fn ($app) => OtlpJsonExporter::fromConfig(
            $app->bound('tracing.http_client') ? $app->make('tracing.http_client') : HttpClient::create(),
            (array) config('tracing'),
            (string) config('app.version'),
            (string) config('app.env'),
            (string) config('app.runtime'),
            $app->make(LoggerInterface::class),
        ));
        $this->app->scoped(Tracer::class, fn ($app) => new Tracer(
            (bool) config('tracing.enabled'),
            new Sampler((string) config('tracing.sampler'), (float) config('tracing.sampler_ratio')),
            $app->make(RequestContext::class),
            fn () => $app->make(OtlpJsonExporter::class),
            fn () => $app->make(Registry::class),
            max(1, (int) config('tracing.max_queue_size')),
        ));
        $this->app->scoped(QueueTracing::class);
    }

    public function boot(): void
    {
        Queue::createPayloadUsing(static fn (string $connection, ?string $queue, array $payload) => Container::getInstance()
            ->make(QueueTracing::class)->payload($connection, $queue ?? 'default', $payload));
        Event::listen(JobProcessing::class, static fn (JobProcessing $e) => Container::getInstance()->make(QueueTracing::class)->started($e));
        $this->app->booted(function () {
            Event::listen(JobProcessed::class, static fn (JobProcessed $e) => Container::getInstance()->make(QueueTracing::class)->finished($e));
            Event::listen(JobExceptionOccurred::class, static fn (JobExceptionOccurred $e) => Container::getInstance()->make(QueueTracing::class)->finished($e));
        });

        if (! config('tracing.enabled')) {
            return;
        }

        Event::listen(QueryExecuted::class, static function (QueryExecuted $e) {
            $tracer = Container::getInstance()->make(Tracer::class);
            if ($tracer->active() === null) {
                return;
            }
            $end = $tracer->now();
            $operation = strtoupper((string) strtok(ltrim($e->sql), " \t\r\n("));
            $database = (string) $e->connection->getDatabaseName();
            $tracer->record(trim("{$operation} {$database}"), SpanKind::Client, $end - (int) round($e->time * 1e6), $end, [
                'db.system' => $e->connection->getDriverName(),
                'db.name' => $database,
                'db.operation' => $operation,
                // placeholders, never the bound values
                'db.statement' => mb_substr($e->sql, 0, 2000),
                'laravel.db.connection' => $e->connectionName,
            ]);
        });

        // Redis commands dispatch CommandExecuted only on connections made after enableEvents():
        // here, before any connection exists
        $this->app->make('redis')->enableEvents();
        Event::listen(CommandExecuted::class, static function (CommandExecuted $e) {
            $tracer = Container::getInstance()->make(Tracer::class);
            if ($tracer->active() === null) {
                return;
            }
            $end = $tracer->now();
            $command = strtoupper($e->command);
            $tracer->record($command, SpanKind::Client, $end - (int) round($e->time * 1e6), $end, [
                'db.system' => 'redis',
                // the command only: keys name sessions and users
                'db.operation' => $command,
                'laravel.redis.connection' => $e->connectionName,
            ]);
        });
    }
}
