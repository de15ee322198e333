<?php

namespace App\Http\Middleware;

use App\Metrics\RequestContext;
use Closure;
use Illuminate\Http\Request;
use Illuminate\Support\Str;
use Symfony\Component\HttpFoundation\Response;

/**
 * Takes X-Request-Id from the caller (nginx, the Ingress, another service) when it is a sane
 * token, generates one otherwise, puts it on every log line of the request and on the response.
 */
class AssignRequestId
{
    public const HEADER = 'X-Request-Id';

    public function __construct(private readonly RequestContext $context)
    {
    }

    public function handle(Request $request, Closure $next): Response
    {
        $incoming = (string) $request->headers->get(self::HEADER, '');
        $id = preg_match('/^[A-Za-z0-9._:-]{8,128}$/', $incoming) === 1 ? $incoming : (string) Str::uuid();
        $this->context->requestId = $id;
        $request->attributes->set('request_id', $id);

        $response = $next($request);
        $response->headers->set(self::HEADER, $id);

        return $response;
    }
}
