<?php

namespace App\Octane;

use Illuminate\Http\Request;
use Psr\Log\LoggerInterface;
use Symfony\Component\HttpFoundation\Response;

/**
 * The Swoole variant's access log (FPM has nginx's): after each request one JSON line through the
 * app's logger (JsonLineFormatter: time, level, message, request_id, and trace_id/span_id of the
 * request's SERVER span when tracing is on: the Tracer is still in scope here), with the route pattern,
 * status, duration and the Swoole worker that served it.
 */
class LogRequest
{
    public function handle(object $event): void
    {
        /** @var Request $request */
        $request = $event->request;
        /** @var Response $response */
        $response = $event->response;
        $route = $request->route();
        $started = (float) $request->server('REQUEST_TIME_FLOAT', microtime(true));

        $event->sandbox->make(LoggerInterface::class)->info('request', [
            'method' => $request->getMethod(),
            'route' => is_object($route) ? $route->uri() : 'unmatched',
            'path' => '/'.ltrim($request->path(), '/'),
            'status' => $response->getStatusCode(),
            'duration_ms' => round(max(0.0, microtime(true) - $started) * 1000, 2),
            'bytes' => strlen((string) $response->getContent()),
            'worker_id' => SwooleWorker::httpWorkerId($event->sandbox),
            'pid' => getmypid(),
        ]);
    }
}
