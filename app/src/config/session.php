<?php

return [

    // Supported: "redis" (shared by every replica), "array" (none kept; not for serving).
    // Files would log users out when the next request lands on another pod.
    'driver' => env('SESSION_DRIVER', 'redis'),

    // Minutes of inactivity before a session expires (Redis key TTL).
    'lifetime' => (int) env('SESSION_LIFETIME', 120),

    'expire_on_close' => false,
    'encrypt' => false,
    'files' => storage_path('framework/sessions'),

    // Redis connection of config/database.php that stores sessions.
    'connection' => env('SESSION_CONNECTION', 'default'),

    'table' => 'sessions',
    'store' => env('SESSION_STORE') ?: null,
    'lottery' => [2, 100],

    // Cookie carrying the session id.
    'cookie' => env('SESSION_COOKIE', 'lks_session'),
    'path' => '/',
    'domain' => env('SESSION_DOMAIN') ?: null,

    // true behind TLS (Ingress): the cookie never travels over plain HTTP.
    'secure' => env('SESSION_SECURE_COOKIE', false),

    // JavaScript cannot read the session cookie.
    'http_only' => true,

    // Supported: "lax", "strict", "none". Lax: not sent on cross-site POSTs (CSRF, see docs/APP.md).
    'same_site' => env('SESSION_SAME_SITE', 'lax'),

    'partitioned' => false,

];
