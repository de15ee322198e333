<?php

namespace App\Http\Middleware;

use Illuminate\Http\Middleware\TrustProxies as Middleware;
use Illuminate\Http\Request;

/**
 * Behind nginx (same pod: 127.0.0.1) and the Ingress, REMOTE_ADDR is the proxy. Trust the
 * X-Forwarded-* headers from the proxies in app.trusted_proxies only, so $request->ip() (login
 * throttling, logs) is the client, and https URLs are generated behind TLS termination.
 */
class TrustProxies extends Middleware
{
    protected $headers = Request::HEADER_X_FORWARDED_FOR
        | Request::HEADER_X_FORWARDED_HOST
        | Request::HEADER_X_FORWARDED_PORT
        | Request::HEADER_X_FORWARDED_PROTO;

    protected function proxies()
    {
        $proxies = (string) config('app.trusted_proxies');

        return $proxies === '*' ? '*' : array_values(array_filter(array_map('trim', explode(',', $proxies))));
    }
}
