<?php

return [

    // Shared storage of the Prometheus registry for this process's counters and histograms.
    // Supported: "apcu" (PHP-FPM: one shared memory segment per pool), "swoole" (Octane: a
    // Swoole Table shared by the workers), "memory" (this process only: CLI tools).
    // Queue counters always go to Redis: the worker is a separate process/pod.
    'storage' => env('METRICS_STORAGE', env('APP_RUNTIME', 'fpm') === 'swoole' ? 'swoole' : 'apcu'),

    // Key prefix in APCu and Redis.
    'prefix' => env('METRICS_PREFIX', 'lks_metrics'),

    // Redis connection (config/database.php) holding the queue counters.
    'redis_connection' => env('METRICS_REDIS_CONNECTION', 'default'),

    // Latency buckets in seconds (http_request_duration_seconds, laravel_db_query_duration_seconds).
    // /metrics refuses requests a reverse proxy forwarded (X-Forwarded-Proto/-Host, Forwarded):
    // Prometheus scrapes the pod directly, the Ingress must not expose it. Supported: true, false.
    'refuse_forwarded' => (bool) env('METRICS_REFUSE_FORWARDED', true),

    'buckets' => [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],

    // pm.max_children of the pool, exported as php_fpm_pool_processes_max. The entrypoint computes
    // it from the memory limit and passes the same variable to php-fpm.conf.
    'fpm_max_children' => (int) env('PHP_FPM_PM_MAX_CHILDREN', 0),

    // Rows of the Swoole Table behind the registry (Octane only).
    'swoole_table_rows' => (int) env('METRICS_SWOOLE_TABLE_ROWS', 4096),

];
