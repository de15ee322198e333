<?php

namespace App\Http\Middleware;

use Closure;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;
use Symfony\Component\HttpKernel\Exception\NotFoundHttpException;

/**
 * /metrics is for Prometheus, which scrapes the pod directly. A request that came through a
 * reverse proxy (the Ingress controller sets X-Forwarded-Proto/-Host, or Forwarded, on every
 * request it forwards, and overwrites what a client sent) gets the same 404 as an unknown route.
 * The NetworkPolicies admit only the Ingress controller and Prometheus to the pod's port, so
 * together: reachable from Prometheus only. METRICS_REFUSE_FORWARDED=false turns it off.
 */
class RefuseForwardedScrape
{
    public function handle(Request $request, Closure $next): Response
    {
        $forwarded = $request->headers->has('X-Forwarded-Proto') || $request->headers->has('X-Forwarded-Host')
            || $request->headers->has('Forwarded');
        if ($forwarded && config('metrics.refuse_forwarded')) {
            throw new NotFoundHttpException("The route {$request->path()} could not be found.");
        }

        return $next($request);
    }
}
