<?php

namespace App\Tracing;

use App\Metrics\RequestContext;
use Illuminate\Queue\Events\JobExceptionOccurred;
use Illuminate\Queue\Events\JobProcessed;
use Illuminate\Queue\Events\JobProcessing;
use Throwable;

/**
 * Queue jobs in the trace and in the logs. Dispatching (Queue::createPayloadUsing) puts the
 * request id and, with tracing on, the `traceparent` of a PRODUCER span into the job's payload;
 * the worker (JobProcessing) restores both, so its log lines carry the dispatching request's
 * request_id and trace_id, and runs the job in a CONSUMER span, child of the producer span. When
 * the job ends (JobProcessed, JobExceptionOccurred) the span ends, the worker exports it and the
 * context before the job is back (none in the worker; the request's own for a `sync` job run
 * inside a request, whose spans then wait for the request's export). Scoped like RequestContext.
 */
final class QueueTracing
{
    /** @var list<array{request_id: ?string, trace_id: ?string, span_id: ?string, span: ?Span}> */
    private array $running = [];

    public function __construct(private readonly RequestContext $context, private readonly Tracer $tracer)
    {
    }

    /**
     * What a dispatched job carries (merged into its payload). Several callbacks may be registered
     * (one per booted application in one process: tests): the first one's keys win.
     *
     * @param  array<string, mixed>  $payload
     * @return array<string, string>
     */
    public function payload(string $connection, string $queue, array $payload): array
    {
        // Redis names the list of a queue "queues:<name>"
        $queue = (string) preg_replace('/^queues:/', '', $queue);
        $extra = [];
        if ($this->context->requestId !== null && ! isset($payload['request_id'])) {
            $extra['request_id'] = $this->context->requestId;
        }
        if ($this->tracer->enabled() && ! isset($payload['traceparent'])) {
            $span = $this->tracer->start("publish {$queue}", SpanKind::Producer, [
                'messaging.system' => (string) (config("queue.connections.{$connection}.driver") ?? $connection),
                'messaging.destination.name' => $queue,
                'messaging.message.id' => is_string($payload['uuid'] ?? null) ? $payload['uuid'] : null,
                'laravel.queue.connection' => $connection,
                'laravel.queue.job' => is_string($payload['displayName'] ?? null) ? $payload['displayName'] : null,
                'app.request_id' => $this->context->requestId,
            ]);
            $this->tracer->end($span);
            $extra['traceparent'] = $span->context->traceparent();
        }

        return $extra;
    }

    public function started(JobProcessing $event): void
    {
        $payload = $event->job->payload();
        $this->running[] = [
            'request_id' => $this->context->requestId, 'trace_id' => $this->context->traceId,
            'span_id' => $this->context->spanId, 'span' => null,
        ];
        $requestId = $payload['request_id'] ?? null;
        if (is_string($requestId) && preg_match('/^[A-Za-z0-9._:-]{8,128}$/', $requestId) === 1) {
            $this->context->requestId = $requestId;
        }
        if (! $this->tracer->enabled()) {
            return;
        }
        $queue = (string) $event->job->getQueue();
        $traceparent = $payload['traceparent'] ?? null;
        $this->running[array_key_last($this->running)]['span'] = $this->tracer->start("process {$queue}", SpanKind::Consumer, [
            'messaging.system' => (string) (config("queue.connections.{$event->connectionName}.driver") ?? $event->connectionName),
            'messaging.destination.name' => $queue,
            'messaging.message.id' => $event->job->uuid(),
            'laravel.queue.connection' => $event->connectionName,
            'laravel.queue.job' => $event->job->resolveName(),
            'laravel.queue.attempt' => $event->job->attempts(),
            'app.request_id' => $this->context->requestId,
        ], TraceContext::fromTraceparent(is_string($traceparent) ? $traceparent : null));
    }

    public function finished(JobProcessed|JobExceptionOccurred $event): void
    {
        $saved = array_pop($this->running);
        if ($saved === null) {
            return; // a job that started before this listener existed
        }
        $span = $saved['span'];
        if ($span !== null) {
            $span->setAttributes(['laravel.queue.outcome' => match (true) {
                $event->job->hasFailed() => 'failed',
                $event->job->isReleased() => 'released',
                $event instanceof JobExceptionOccurred => 'error',
                default => 'processed',
            }]);
            if ($event instanceof JobExceptionOccurred) {
                $span->fail($this->message($event->exception));
            }
            $this->tracer->end($span);
            // the worker's job was the outermost operation: export now; a sync job inside a request
            // leaves its spans to the request's export after the response
            if ($this->tracer->active() === null) {
                $this->tracer->flush();
            }
        }
        $this->context->requestId = $saved['request_id'];
        if ($saved['trace_id'] === null) {
            $this->tracer->reset();
        } else {
            $this->context->traceId = $saved['trace_id'];
            $this->context->spanId = $saved['span_id'];
        }
    }

    private function message(Throwable $e): string
    {
        return $e::class.': '.mb_substr($e->getMessage(), 0, 500);
    }
}
