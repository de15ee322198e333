<?php

namespace App\Http;

use Illuminate\Foundation\Http\Kernel as HttpKernel;

class Kernel extends HttpKernel
{
    /**
     * Global middleware, outermost first: every response (404s and 405s too) gets a request id,
     * a SERVER span when tracing is on (TraceRequest, inside the request id: its attribute), and
     * is counted in the request metrics.
     *
     * @var array<int, class-string>
     */
    protected $middleware = [
        \App\Http\Middleware\AssignRequestId::class,
        \App\Http\Middleware\TraceRequest::class,
        \App\Http\Middleware\RecordRequestMetrics::class,
        \App\Http\Middleware\TrustProxies::class,
        \App\Http\Middleware\LimitRequestBody::class,
        \App\Http\Middleware\RejectMalformedJson::class,
        \Illuminate\Foundation\Http\Middleware\TrimStrings::class,
        \Illuminate\Foundation\Http\Middleware\ConvertEmptyStringsToNull::class,
    ];

    /**
     * @var array<string, array<int, class-string|string>>
     */
    protected $middlewareGroups = [
        // probes and /metrics: no session, no cookies, no database
        'probe' => [],

        // the JSON API: stateless routes (ping, stress); routes that need the user add 'session'
        'api' => [
            \Illuminate\Routing\Middleware\SubstituteBindings::class,
        ],

        // cookie-backed Redis session for the auth, task and job routes (see docs/APP.md on CSRF)
        'session' => [
            \App\Http\Middleware\RequireJsonForStateChange::class,
            \Illuminate\Cookie\Middleware\EncryptCookies::class,
            \Illuminate\Cookie\Middleware\AddQueuedCookiesToResponse::class,
            \Illuminate\Session\Middleware\StartSession::class,
            \App\Http\Middleware\VerifyCsrfToken::class,
        ],
    ];

    /**
     * Laravel's priority list with the CSRF guard first: a refused cross-site request must not
     * even start (and store) a session. The CSRF token check runs after `auth`, so a guest's
     * write is a 401 (log in first), and a logged-in write without the token a 419.
     *
     * @var array<int, class-string>
     */
    protected $middlewarePriority = [
        \App\Http\Middleware\RequireJsonForStateChange::class,
        \App\Http\Middleware\RequireSessionCookie::class,
        \Illuminate\Foundation\Http\Middleware\HandlePrecognitiveRequests::class,
        \Illuminate\Cookie\Middleware\EncryptCookies::class,
        \Illuminate\Cookie\Middleware\AddQueuedCookiesToResponse::class,
        \Illuminate\Session\Middleware\StartSession::class,
        \Illuminate\View\Middleware\ShareErrorsFromSession::class,
        \Illuminate\Contracts\Auth\Middleware\AuthenticatesRequests::class,
        \App\Http\Middleware\VerifyCsrfToken::class,
        \Illuminate\Routing\Middleware\ThrottleRequests::class,
        \Illuminate\Routing\Middleware\ThrottleRequestsWithRedis::class,
        \Illuminate\Contracts\Session\Middleware\AuthenticatesSessions::class,
        \Illuminate\Routing\Middleware\SubstituteBindings::class,
        \Illuminate\Auth\Middleware\Authorize::class,
    ];

    /**
     * @var array<string, class-string|string>
     */
    protected $middlewareAliases = [
        'auth' => \App\Http\Middleware\Authenticate::class,
        'bindings' => \Illuminate\Routing\Middleware\SubstituteBindings::class,
        'can' => \Illuminate\Auth\Middleware\Authorize::class,
        'session.cookie' => \App\Http\Middleware\RequireSessionCookie::class,
        'throttle' => \Illuminate\Routing\Middleware\ThrottleRequests::class,
    ];
}
