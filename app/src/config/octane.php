<?php

/*
 * Laravel Octane (Swoole variant only). Every number comes from the environment: never from the
 * host's CPU count (swoole_cpu_num() sees the node, not the pod's CPU limit). Loaded as plain config
 * everywhere; the listener classes are referenced by name only, so this file needs no Octane class
 * to be installed (the FPM image and the offline profile have none).
 */

$octane = 'Laravel\\Octane'; // no leading backslash: event names are matched as strings
$octaneInstalled = class_exists($octane . '\\Octane');

return [

    // Supported: "swoole".
    'server' => env('OCTANE_SERVER', 'swoole'),

    // Behind TLS-terminating Ingress: generate https URLs.
    'https' => (bool) env('OCTANE_HTTPS', false),

    // Request/worker lifecycle listeners. Octane's defaults flush the per-request state
    // (auth, session, cookies, translator, ...); the app adds its own resets.
    'listeners' => $octaneInstalled ? [
        $octane . '\\Events\\WorkerStarting' => [
            $octane . '\\Listeners\\EnsureUploadedFilesAreValid',
            $octane . '\\Listeners\\EnsureUploadedFilesCanBeMoved',
        ],
        $octane . '\\Events\\RequestReceived' => [
            ...\Laravel\Octane\Octane::prepareApplicationForNextOperation(),
            ...\Laravel\Octane\Octane::prepareApplicationForNextRequest(),
            App\Octane\ResetRequestState::class,
        ],
        $octane . '\\Events\\RequestHandled' => [],
        $octane . '\\Events\\RequestTerminated' => [
            App\Octane\RecordWorkerMemory::class,
        ],
        $octane . '\\Events\\TaskReceived' => [
            ...\Laravel\Octane\Octane::prepareApplicationForNextOperation(),
        ],
        $octane . '\\Events\\TaskTerminated' => [],
        $octane . '\\Events\\TickReceived' => [
            ...\Laravel\Octane\Octane::prepareApplicationForNextOperation(),
        ],
        $octane . '\\Events\\TickTerminated' => [],
        $octane . '\\Contracts\\OperationTerminated' => [
            $octane . '\\Listeners\\FlushOnce',
            $octane . '\\Listeners\\FlushTemporaryContainerInstances',
        ],
        $octane . '\\Events\\WorkerErrorOccurred' => [
            $octane . '\\Listeners\\ReportException',
            $octane . '\\Listeners\\StopWorkerIfNecessary',
        ],
        $octane . '\\Events\\WorkerStopping' => [],
    ] : [],

    // Services resolved once per worker at boot (warm) and instances forgotten after each request (flush).
    'warm' => $octaneInstalled ? [...\Laravel\Octane\Octane::defaultServicesToWarm()] : [],
    'flush' => [
        App\Metrics\RequestContext::class,
    ],

    // Swoole Tables shared by all workers: the metrics registry and per-worker memory.
    'tables' => [
        'metrics:' . (int) env('METRICS_SWOOLE_TABLE_ROWS', 4096) => [
            'key' => 'string:512',
            'value' => 'float',
        ],
        'workers:256' => [
            'memory' => 'int',
            'peak' => 'int',
        ],
    ],

    'cache' => [
        'rows' => 1000,
        'bytes' => 10000,
    ],

    'watch' => [],

    // MB of memory a worker may reach before Octane collects garbage.
    'garbage' => (int) env('OCTANE_GARBAGE_MB', 50),

    // Seconds a request may run (0 = no limit); kept in step with FPM's request_terminate_timeout.
    'max_execution_time' => (int) env('OCTANE_MAX_EXECUTION_TIME', 30),

    'swoole' => [
        'options' => [
            // HTTP workers; a pod with a CPU limit of 1 wants 1-2 (measured: within noise)
            'worker_num' => (int) env('OCTANE_WORKERS', 2),
            // task workers for Octane::concurrently()
            'task_worker_num' => (int) env('OCTANE_TASK_WORKERS', 1),
            // requests before a worker is recycled: bounds leaks; high, because recycling stalls (TRAPS.md 5)
            'max_request' => (int) env('OCTANE_MAX_REQUESTS', 10000),
            // largest request Swoole buffers, in bytes; the app answers 413 above APP_MAX_BODY_BYTES
            'package_max_length' => (int) env('OCTANE_PACKAGE_MAX_LENGTH', 10 * 1024 * 1024),
            // reload workers one after another, each finishing its requests first
            'reload_async' => (bool) env('OCTANE_RELOAD_ASYNC', true),
            // seconds a stopping worker gets to finish in-flight requests (Swoole's default is 3)
            'max_wait_time' => (int) env('OCTANE_MAX_WAIT_TIME', 20),
            // logs to stderr like everything else
            'log_file' => env('OCTANE_LOG_FILE', '/dev/stderr'),
        ],
    ],

];
