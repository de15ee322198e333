<?php

namespace App\Http\Middleware;

use App\Tracing\Span;
use App\Tracing\SpanKind;
use App\Tracing\TraceContext;
use App\Tracing\Tracer;
use Closure;
use Illuminate\Http\Request;
use Illuminate\Routing\Route;
use Symfony\Component\HttpFoundation\Response;
use Throwable;

/**
 * One SERVER span per request (config/tracing.php; off without an endpoint): a child of the
 * caller's span when its `traceparent` is valid, else the root of a new trace; named
 * "METHOD /route/{pattern}" (the method alone when no route matched: never a raw path), status
 * ERROR on a 5xx. The response carries the span's context in `traceresponse` (W3C Trace Context
 * level 2), which nginx logs as trace_id. The spans are exported in terminate(): after the
 * response was sent, under FPM (fastcgi_finish_request() in Response::send()) and under Octane
 * (the worker responds, then terminates the kernel).
 */
class TraceRequest
{
    public const TRACEPARENT = 'traceparent';

    public const TRACERESPONSE = 'traceresponse';

    public function handle(Request $request, Closure $next): Response
    {
        $path = '/'.ltrim($request->path(), '/');
        if (! config('tracing.enabled') || in_array($path, (array) config('tracing.excluded_paths'), true)) {
            return $next($request);
        }
        $tracer = app(Tracer::class);
        $method = strtoupper($request->getMethod());
        $span = $tracer->start($method, SpanKind::Server, [
            'http.request.method' => $method,
            'url.path' => $path,
            'app.runtime' => (string) config('app.runtime'),
            'app.request_id' => $request->attributes->get('request_id'),
        ], TraceContext::fromTraceparent($request->headers->get(self::TRACEPARENT)));
        try {
            $response = $next($request);
        } catch (Throwable $e) {
            $tracer->end($this->named($span, $request)->fail($e::class));
            throw $e;
        }
        $status = $response->getStatusCode();
        $this->named($span, $request)->setAttributes(['http.response.status_code' => $status]);
        if ($status >= 500) {
            $span->fail("HTTP {$status}");
        }
        $tracer->end($span);
        $response->headers->set(self::TRACERESPONSE, $span->context->traceparent());

        return $response;
    }

    public function terminate(Request $request, Response $response): void
    {
        if (config('tracing.enabled')) {
            app(Tracer::class)->flush();
        }
    }

    private function named(Span $span, Request $request): Span
    {
        $route = $request->route();
        if ($route instanceof Route) {
            $pattern = '/'.ltrim($route->uri(), '/');
            $span->name = "{$span->name} {$pattern}";
            $span->setAttributes(['http.route' => $pattern]);
        }

        return $span;
    }
}
