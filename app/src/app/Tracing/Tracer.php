<?php

namespace App\Tracing;

use App\Metrics\Registry;
use App\Metrics\RequestContext;
use Closure;
use Throwable;

/**
 * The trace of one request (or one queue job): the open spans, innermost last, and the finished
 * sampled ones waiting for export. Bound as a scoped instance like RequestContext, whose trace_id
 * and span_id it keeps up to date for the log lines (JsonLineFormatter): fresh per request under
 * FPM, forgotten after each request under Octane and before each job in the queue worker.
 * Finished spans wait in a bounded buffer (`max_queue_size`; beyond it they are counted as
 * dropped) until flush(), which runs after the response is sent (TraceRequest::terminate) or after
 * the job (QueueTracing); nothing here ever sends during a request.
 */
final class Tracer
{
    /** @var list<Span> */
    private array $open = [];

    /** @var list<Span> */
    private array $finished = [];

    private int $overflow = 0;

    /** nanoseconds from hrtime() to the Unix epoch, taken once per trace */
    private readonly int $epochOffset;

    /**
     * @param  Closure(): OtlpJsonExporter  $exporter
     * @param  Closure(): Registry  $metrics
     */
    public function __construct(
        private readonly bool $enabled,
        private readonly Sampler $sampler,
        private readonly RequestContext $log,
        private readonly Closure $exporter,
        private readonly Closure $metrics,
        private readonly int $maxQueueSize = 512,
    ) {
        $this->epochOffset = (int) round(microtime(true) * 1e9) - hrtime(true);
    }

    public function enabled(): bool
    {
        return $this->enabled;
    }

    /** Now, in nanoseconds since the Unix epoch (monotonic within the trace). */
    public function now(): int
    {
        return hrtime(true) + $this->epochOffset;
    }

    /**
     * Opens a span and makes it the active one: a child of `remoteParent` (the caller's
     * traceparent, a job's payload) when given, else of the active span, else the root of a new
     * trace. The sampler decides for a remote parent and a new trace; a local child follows its parent.
     *
     * @param  array<string, string|int|float|bool|null>  $attributes
     */
    public function start(string $name, SpanKind $kind, array $attributes = [], ?TraceContext $remoteParent = null): Span
    {
        $local = $remoteParent === null ? $this->active()?->context : null;
        $parent = $remoteParent ?? $local;
        $traceId = $parent?->traceId ?? TraceContext::newTraceId();
        $sampled = $local?->sampled ?? $this->sampler->shouldSample($traceId, $remoteParent);
        $span = new Span($name, $kind, new TraceContext($traceId, TraceContext::newSpanId(), $sampled), $parent?->spanId, $this->now());
        $span->setAttributes($attributes);
        $this->open[] = $span;
        $this->log->traceId = $traceId;
        $this->log->spanId = $span->context->spanId;

        return $span;
    }

    /**
     * Ends an open span; the log lines go back to its parent's ids. When it was the last open
     * one they keep its ids: what the request still logs (Octane's access line) joins its trace.
     */
    public function end(Span $span): void
    {
        $span->endNs ??= $this->now();
        $at = array_search($span, $this->open, true);
        if ($at !== false) {
            array_splice($this->open, $at, 1);
        }
        if (($active = $this->active()) !== null) {
            $this->log->traceId = $active->context->traceId;
            $this->log->spanId = $active->context->spanId;
        }
        $this->buffer($span);
    }

    /**
     * A finished operation (a query, a Redis command: their events come after the fact) as a
     * child of the active span. No active span, or an unsampled one: nothing is made.
     *
     * @param  array<string, string|int|float|bool|null>  $attributes
     */
    public function record(string $name, SpanKind $kind, int $startNs, int $endNs, array $attributes = []): void
    {
        $parent = $this->active();
        if ($parent === null || ! $parent->context->sampled) {
            return;
        }
        $span = new Span($name, $kind, new TraceContext($parent->context->traceId, TraceContext::newSpanId(), true), $parent->context->spanId, $startNs);
        $span->setAttributes($attributes);
        $span->endNs = $endNs;
        $this->buffer($span);
    }

    public function active(): ?Span
    {
        return $this->open === [] ? null : $this->open[array_key_last($this->open)];
    }

    /** Spans finished and waiting for flush() (tests, and the decision whether to flush). */
    public function pending(): int
    {
        return count($this->finished);
    }

    /**
     * Exports the finished spans (bounded by the exporter's timeouts, never throwing) and counts
     * them: app_trace_spans_exported_total, or app_trace_spans_dropped_total{reason}.
     */
    public function flush(): void
    {
        [$spans, $overflow] = [$this->finished, $this->overflow];
        $this->finished = [];
        $this->overflow = 0;
        if ($spans === [] && $overflow === 0) {
            return;
        }
        try {
            $dropped = $spans === [] ? null : ($this->exporter)()->export($spans);
        } catch (Throwable) {
            $dropped = OtlpJsonExporter::DROPPED_ERROR;
        }
        try {
            $registry = ($this->metrics)();
            if ($overflow > 0) {
                $registry->increment('app_trace_spans_dropped_total', ['reason' => 'queue_full'], $overflow);
            }
            if ($spans !== [] && $dropped === null) {
                $registry->increment('app_trace_spans_exported_total', [], count($spans));
            } elseif ($spans !== []) {
                $registry->increment('app_trace_spans_dropped_total', ['reason' => $dropped], count($spans));
            }
        } catch (Throwable) {
            // the metrics storage is down: the spans are gone either way, the request is not failed for it
        }
    }

    /** Forgets the trace: no open span, and the log lines carry no trace id from now on. */
    public function reset(): void
    {
        $this->open = [];
        $this->log->traceId = null;
        $this->log->spanId = null;
    }

    private function buffer(Span $span): void
    {
        if (! $span->context->sampled) {
            return;
        }
        if (count($this->finished) >= $this->maxQueueSize) {
            $this->overflow++;

            return;
        }
        $this->finished[] = $span;
    }
}
