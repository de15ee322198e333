<?php

/*
 * Laravel Octane (Swoole variant only). Every number comes from the environment: never from the
 * host's CPU count (swoole_cpu_num() sees the node, not the pod's CPU limit). Written as
 * laravel/octane's own config stub: `use` imports and ::class names. A ::class name is resolved at
 * compile time without loading the class, so this file loads (and `php artisan config:cache`
 * caches it) where Octane is not installed: the FPM image. Only the calls into Octane's static
 * helpers need Octane itself; there they give empty lists.
 */

use App\Octane\LogRequest;
use App\Octane\MarkWorkerBusy;
use App\Octane\RecordWorkerMemory;
use App\Octane\RefuseConnectionsOnStop;
use Laravel\Octane\Contracts\OperationTerminated;
use Laravel\Octane\Events\RequestHandled;
use Laravel\Octane\Events\RequestReceived;
use Laravel\Octane\Events\RequestTerminated;
use Laravel\Octane\Events\TaskReceived;
use Laravel\Octane\Events\TaskTerminated;
use Laravel\Octane\Events\TickReceived;
use Laravel\Octane\Events\TickTerminated;
use Laravel\Octane\Events\WorkerErrorOccurred;
use Laravel\Octane\Events\WorkerStarting;
use Laravel\Octane\Events\WorkerStopping;
use Laravel\Octane\Listeners\CloseMonologHandlers;
use Laravel\Octane\Listeners\EnsureUploadedFilesAreValid;
use Laravel\Octane\Listeners\EnsureUploadedFilesCanBeMoved;
use Laravel\Octane\Listeners\FlushOnce;
use Laravel\Octane\Listeners\FlushTemporaryContainerInstances;
use Laravel\Octane\Listeners\ReportException;
use Laravel\Octane\Listeners\StopWorkerIfNecessary;
use Laravel\Octane\Octane;

$octaneInstalled = class_exists(Octane::class);

return [

    // Supported: "swoole".
    'server' => env('OCTANE_SERVER', 'swoole'),

    // Behind TLS-terminating Ingress: generate https URLs.
    'https' => (bool) env('OCTANE_HTTPS', false),

    // Request/worker lifecycle listeners: Octane's defaults (they flush the per-request state:
    // auth, session, cookies, translator, ...) plus the app's own. The app's own per-request state
    // (App\Metrics\RequestContext) is a scoped binding (AppServiceProvider), which Octane's
    // FlushTemporaryContainerInstances forgets after every request: no listener, no flush entry.
    'listeners' => [
        WorkerStarting::class => [
            EnsureUploadedFilesAreValid::class,
            EnsureUploadedFilesCanBeMoved::class,
        ],

        RequestReceived::class => [
            ...($octaneInstalled ? Octane::prepareApplicationForNextOperation() : []),
            ...($octaneInstalled ? Octane::prepareApplicationForNextRequest() : []),
            // this worker's row of the `workers` table: busy since now (readiness reads it)
            MarkWorkerBusy::class,
        ],

        RequestHandled::class => [
            //
        ],

        RequestTerminated::class => [
            // the access log: one JSON line per request (Octane's console output is not used)
            LogRequest::class,
            // idle again; memory and RSS of this worker (swoole_worker_*, the soak test reads them)
            RecordWorkerMemory::class,
        ],

        TaskReceived::class => [
            ...($octaneInstalled ? Octane::prepareApplicationForNextOperation() : []),
        ],

        TaskTerminated::class => [
            //
        ],

        TickReceived::class => [
            ...($octaneInstalled ? Octane::prepareApplicationForNextOperation() : []),
        ],

        TickTerminated::class => [
            //
        ],

        OperationTerminated::class => [
            FlushOnce::class,
            FlushTemporaryContainerInstances::class,
        ],

        WorkerErrorOccurred::class => [
            ReportException::class,
            StopWorkerIfNecessary::class,
        ],

        WorkerStopping::class => [
            // during a stop: new connections refused from now on (see the class)
            RefuseConnectionsOnStop::class,
            CloseMonologHandlers::class,
        ],
    ],

    // Services resolved once per worker at boot (warm) and instances forgotten after each request
    // (flush): none of the app's own, its per-request state is scoped (see the listeners above).
    'warm' => [
        ...($octaneInstalled ? Octane::defaultServicesToWarm() : []),
    ],

    'flush' => [
        //
    ],

    // Swoole Tables shared by all workers: the metrics registry and one row per HTTP worker.
    'tables' => [
        'metrics:' . (int) env('METRICS_SWOOLE_TABLE_ROWS', 4096) => [
            'key' => 'string:512',
            'value' => 'float',
        ],
        'workers:256' => [
            'memory' => 'int',
            'peak' => 'int',
            'rss' => 'int',
            'requests' => 'int',
            'pid' => 'int',
            // microtime() of the start of the request being served, 0 when idle
            'busy_since' => 'float',
        ],
    ],

    'cache' => [
        'rows' => 1000,
        'bytes' => 10000,
    ],

    'watch' => [],

    // Octane's tick (a task every second for TickReceived listeners): the app has none, and its
    // timer in the Swoole master would hold a stop up like max_execution_time's (below)
    'tick' => (bool) env('OCTANE_TICK', false),

    // MB of memory a worker may reach before Octane collects garbage.
    'garbage' => (int) env('OCTANE_GARBAGE_MB', 50),

    // Seconds a request may run before Octane SIGKILLs its worker and answers 408 (0 = no limit).
    // Off by default: Octane checks it with a timer in the Swoole master, and a pending timer keeps
    // the master's event loop alive after SIGTERM until max_wait_time forces it down, so every stop
    // would take max_wait_time (measured: the master outlived Docker's 30 s). Requests are bounded
    // by the Ingress/proxy timeouts and the app's own limits (/api/stress, /api/slow) instead.
    'max_execution_time' => (int) env('OCTANE_MAX_EXECUTION_TIME', 0),

    // Where `php artisan app:octane-state` writes the Swoole server's state file that
    // vendor/laravel/octane/bin/swoole-server reads (app/swoole-entrypoint.sh). Writable volume.
    'state_file' => env('OCTANE_STATE_FILE', storage_path('logs/octane-server-state.json')),

    // Created by app/swoole-entrypoint.sh when the stop signal arrives (RefuseConnectionsOnStop
    // reads it); the entrypoint exports the path, this default is for artisan outside the image.
    'stop_file' => env('OCTANE_STOP_FILE', storage_path('framework/octane-stopping')),

    // /ready answers 503 once every HTTP worker other than the one answering has been busy on
    // one request for longer than this many seconds (no worker idle: the pod is saturated).
    'ready_max_busy_seconds' => (float) env('OCTANE_READY_MAX_BUSY_SECONDS', 10),

    // Test-only: GET /api/_test/leak?kb=N keeps N KB per request in a static array of the worker
    // (the soak test shows max_requests bounding the growth). Off by default and never in
    // production; the route does not exist (404) when off.
    'test_leak_route' => (bool) env('OCTANE_TEST_LEAK_ROUTE', false) && env('APP_ENV', 'production') !== 'production',

    'swoole' => [
        'options' => [
            // HTTP workers; a pod with a CPU limit of 1 wants 1-2 (measured: within noise)
            'worker_num' => (int) env('OCTANE_WORKERS', 2),
            // task workers for Octane::concurrently()
            'task_worker_num' => (int) env('OCTANE_TASK_WORKERS', 1),
            // requests before a worker is recycled (0 = never): bounds leaks; high, because
            // recycling stalls (TRAPS.md 5)
            'max_request' => (int) env('OCTANE_MAX_REQUESTS', 10000),
            // largest request Swoole buffers, in bytes: above it Swoole itself answers 413 without a
            // body. 32 MiB, php.ini's post_max_size: an upload up to UPLOAD_MAX_BYTES (25 MiB) plus
            // its multipart overhead reaches the app, and so does a body a little over that limit,
            // which the app refuses with its JSON 413 (LimitRequestBody) as nginx does for FPM
            'package_max_length' => (int) env('OCTANE_PACKAGE_MAX_LENGTH', 32 * 1024 * 1024),
            // 3 = a request goes to an idle worker (Swoole's default, 2, hashes the connection to a
            // worker: keep-alive connections queue behind a busy worker while another one is idle)
            'dispatch_mode' => (int) env('OCTANE_DISPATCH_MODE', 3),
            // Octane turns it on; Swoole allows it only with dispatch_mode 2/4 and, without
            // coroutines (Octane's default), it changes nothing
            'send_yield' => false,
            // reload workers one after another, each finishing its requests first
            'reload_async' => (bool) env('OCTANE_RELOAD_ASYNC', true),
            // seconds a stopping worker gets to finish in-flight requests (Swoole's default is 3)
            'max_wait_time' => (int) env('OCTANE_MAX_WAIT_TIME', 20),
            // Swoole's own log (plain text, not JSON): errors only, to stderr like everything else
            'log_file' => env('OCTANE_LOG_FILE', '/dev/stderr'),
            'log_level' => (int) env('OCTANE_LOG_LEVEL', 5), // SWOOLE_LOG_ERROR
            // the master is the container's PID 1 (app/swoole-entrypoint.sh): with signalfd its
            // signals stay at their default disposition, and the kernel drops such a signal sent
            // to a PID namespace's init, so SIGTERM would never arrive. Real handlers instead.
            'enable_signalfd' => false,
        ],
    ],

];
