<?php

namespace App\Metrics;

/**
 * Per-request state (the request id on every log line). Bound as a scoped instance: PHP-FPM
 * starts fresh per request anyway, Octane forgets scoped instances after each request, so
 * nothing of one request leaks into the next one on the same worker.
 */
final class RequestContext
{
    public ?string $requestId = null;
}
