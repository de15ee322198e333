<?php

namespace App\Http\Middleware;

use Closure;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;
use Symfony\Component\HttpKernel\Exception\BadRequestHttpException;

/**
 * A body sent as JSON that does not parse is a 400 with a JSON error, not an empty input that
 * surfaces as confusing validation errors (or a 500).
 */
class RejectMalformedJson
{
    public function handle(Request $request, Closure $next): Response
    {
        if ($request->isJson()) {
            $body = (string) $request->getContent();
            // only JSON's own whitespace makes a body empty: PHP's trim() also strips NUL and
            // \v, so a body of "\0" passed as no body at all (a PUT answered 200, not 400)
            if (trim($body, " \t\n\r") !== '') {
                json_decode($body, true, 64);
                if (json_last_error() !== JSON_ERROR_NONE) {
                    throw new BadRequestHttpException('Malformed JSON body: '.json_last_error_msg().'.');
                }
            }
        }

        return $next($request);
    }
}
