<?php

namespace App\Http\Middleware;

use Closure;
use Illuminate\Auth\AuthenticationException;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;

/**
 * A request to a route that needs a login but carries no session cookie at all is a guest: 401
 * right away, before StartSession would create (and store in Redis, for SESSION_LIFETIME) an
 * empty session for it. Keeps a flood of anonymous calls from filling Redis; a request with a
 * cookie goes on to the real check (the `auth` middleware).
 */
class RequireSessionCookie
{
    public function handle(Request $request, Closure $next): Response
    {
        if (! $request->cookies->has((string) config('session.cookie'))) {
            throw new AuthenticationException;
        }

        return $next($request);
    }
}
