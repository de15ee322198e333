<?php

namespace App\Http\Middleware;

use Illuminate\Foundation\Http\Middleware\VerifyCsrfToken as Middleware;

/**
 * Laravel's CSRF check for the cookie-authenticated API: a state-changing request that rides on
 * the session cookie must echo the session's token, either as `X-XSRF-TOKEN` (the value of the
 * `XSRF-TOKEN` cookie every session response sets, what axios and Angular send by themselves) or
 * as `X-CSRF-TOKEN` (the plain token, `meta.csrf_token` of the login, register and me responses).
 * Otherwise 419. A cross-site page can neither read the cookie nor set the header.
 */
class VerifyCsrfToken extends Middleware
{
    /**
     * Login and register run before there is an authenticated session to ride on; they stay
     * covered by RequireJsonForStateChange (a cross-site form cannot send JSON) and SameSite.
     *
     * @var array<int, string>
     */
    protected $except = [
        'api/auth/login',
        'api/auth/register',
    ];

    /** Also under PHPUnit: the feature tests send the token like a client, so they prove it is required. */
    protected function runningUnitTests(): bool
    {
        return false;
    }
}
