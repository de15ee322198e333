<?php

namespace App\Metrics;

/**
 * Per-request state: the request id on every log line, and the trace and span ids of the active
 * span while a trace is recorded (App\Tracing\Tracer keeps them current). Bound as a scoped instance: PHP-FPM
 * starts fresh per request anyway, Octane forgets scoped instances after each request, so
 * nothing of one request leaks into the next one on the same worker.
 */
final class RequestContext
{
    public ?string $requestId = null;

    public ?string $traceId = null;

    public ?string $spanId = null;
}
