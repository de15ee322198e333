<?php

namespace App\Octane;

use App\Metrics\RequestContext;

/**
 * Before each request on a long-lived worker: a fresh request context (the request id of the
 * previous request must never appear on this one's log lines). Octane's own listeners reset
 * auth, session, cookies, translator/locale and the rest of the framework's per-request state.
 */
class ResetRequestState
{
    public function handle(object $event): void
    {
        $event->sandbox->forgetInstance(RequestContext::class);
    }
}
