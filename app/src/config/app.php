<?php

use Illuminate\Support\Facades\Facade;
use Illuminate\Support\ServiceProvider;
use Laravel\Octane\OctaneServiceProvider;

return [

    // Application name, in logs and app_info.
    'name' => env('APP_NAME', 'laravel-k8s-showcase'),

    // Supported: "production", "local", "testing".
    'env' => env('APP_ENV', 'production'),

    // Never true in production: stack traces would reach JSON error bodies.
    'debug' => (bool) env('APP_DEBUG', false),

    // Public base URL (links, redirects).
    'url' => env('APP_URL', 'http://localhost'),

    // Version of the running build: the app_info{version} label. The image sets it from app/VERSION.
    'version' => env('APP_VERSION', 'dev'),

    // Which server runs this process. Supported: "fpm", "swoole". The images set it.
    'runtime' => env('APP_RUNTIME', 'fpm'),

    // Largest accepted request body in bytes; bigger bodies get 413. Keep nginx's
    // client_max_body_size (and php.ini post_max_size) at or above it.
    'max_body_bytes' => (int) env('APP_MAX_BODY_BYTES', 1048576),

    // Proxies whose X-Forwarded-* headers are believed (comma separated addresses/CIDRs, or "*").
    // Default: the nginx sidecar in the same pod.
    'trusted_proxies' => env('TRUSTED_PROXIES', '127.0.0.1'),

    // Drain switch: while this file exists /ready answers 503 (the shutdown path creates it with
    // `php artisan app:drain`, e.g. a preStop hook). Must be on a path shared by the pod's processes.
    'drain_file' => env('APP_DRAIN_FILE') ?: storage_path('framework/draining'),

    'timezone' => 'UTC',
    'locale' => env('APP_LOCALE', 'en'),
    'fallback_locale' => 'en',
    'faker_locale' => 'en_US',

    // Encryption key for cookies and sessions: from a Secret, never from the image.
    'key' => env('APP_KEY'),
    'cipher' => 'AES-256-CBC',

    'maintenance' => [
        'driver' => 'file',
    ],

    'providers' => ServiceProvider::defaultProviders()->merge([
        // before AppServiceProvider: the queue worker's job lines carry the restored request and trace ids
        App\Providers\TracingServiceProvider::class,
        App\Providers\AppServiceProvider::class,
        App\Providers\EventServiceProvider::class,
        App\Providers\MetricsServiceProvider::class,
        App\Providers\RouteServiceProvider::class,
        // Octane only where it runs: installed (composer.json requires it, the online FPM image has
        // it too) and ext-swoole loaded (the Swoole image); Debian packages neither Octane nor Swoole
        ...(class_exists(OctaneServiceProvider::class) && extension_loaded('swoole')
            ? [OctaneServiceProvider::class, App\Providers\OctaneWorkerServiceProvider::class] : []),
    ])->toArray(),

    'aliases' => Facade::defaultAliases()->toArray(),

];
