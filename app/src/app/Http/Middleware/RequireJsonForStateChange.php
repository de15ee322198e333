<?php

namespace App\Http\Middleware;

use Closure;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;
use Symfony\Component\HttpKernel\Exception\HttpException;

/**
 * First CSRF defence of the cookie-authenticated JSON API (the session's token, VerifyCsrfToken,
 * is the second; login and register have only this one): a state-changing request with a body
 * must send it as JSON (Content-Type: application/json) or carry X-Requested-With. A cross-site HTML form can send
 * neither without a CORS preflight, which this API never grants; the session cookie is also
 * SameSite=Lax (see docs/APP.md).
 */
class RequireJsonForStateChange
{
    public function handle(Request $request, Closure $next): Response
    {
        $safe = in_array($request->getMethod(), ['GET', 'HEAD', 'OPTIONS'], true);
        // a request with neither body nor Content-Type (`DELETE /api/tasks/1`) is no form post:
        // HTML forms always send one, and only GET and POST
        $bodyless = $request->getContent() === '' && ! $request->headers->has('Content-Type');
        if (! $safe && ! $bodyless && ! $request->isJson() && ! $request->headers->has('X-Requested-With')) {
            throw new HttpException(415, 'State-changing requests must send Content-Type: application/json.');
        }

        return $next($request);
    }
}
