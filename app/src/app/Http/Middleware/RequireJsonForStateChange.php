<?php

namespace App\Http\Middleware;

use Closure;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;
use Symfony\Component\HttpKernel\Exception\HttpException;

/**
 * CSRF defence of the cookie-authenticated JSON API: a state-changing request must carry a JSON
 * body (Content-Type: application/json) or X-Requested-With. A cross-site HTML form can send
 * neither without a CORS preflight, which this API never grants; the session cookie is also
 * SameSite=Lax. So no CSRF token round-trip is needed (see docs/APP.md).
 */
class RequireJsonForStateChange
{
    public function handle(Request $request, Closure $next): Response
    {
        $safe = in_array($request->getMethod(), ['GET', 'HEAD', 'OPTIONS'], true);
        if (! $safe && ! $request->isJson() && ! $request->headers->has('X-Requested-With')) {
            throw new HttpException(415, 'State-changing requests must send Content-Type: application/json.');
        }

        return $next($request);
    }
}
