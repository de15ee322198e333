<?php

namespace App\Http\Middleware;

use App\Metrics\Registry;
use Closure;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;

/**
 * http_requests_total{method,route,status} and http_request_duration_seconds{method,route}.
 * `route` is the route's URI pattern (api/tasks/{task}), or "unmatched": never a raw path,
 * so the number of series stays bounded whatever clients request.
 */
class RecordRequestMetrics
{
    public function __construct(private readonly Registry $registry)
    {
    }

    public function handle(Request $request, Closure $next): Response
    {
        $start = hrtime(true);
        $response = $next($request);
        $seconds = (hrtime(true) - $start) / 1e9;

        $route = $request->route();
        $pattern = $route ? $route->uri() : 'unmatched';
        $method = strtoupper($request->getMethod());
        $known = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
        $method = in_array($method, $known, true) ? $method : 'OTHER';

        $this->registry->increment('http_requests_total', [
            'method' => $method, 'route' => $pattern, 'status' => (string) $response->getStatusCode(),
        ]);
        $this->registry->observe('http_request_duration_seconds', ['method' => $method, 'route' => $pattern], $seconds);

        return $response;
    }
}
