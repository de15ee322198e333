<?php

return [

    // Supported: "redis", "sync" (runs the job inline; tests of the job itself only).
    'default' => env('QUEUE_CONNECTION', 'redis'),

    'connections' => [
        'sync' => [
            'driver' => 'sync',
        ],
        'redis' => [
            'driver' => 'redis',
            'connection' => 'default',
            'queue' => env('REDIS_QUEUE', 'default'),
            // Seconds after which a reserved job whose worker died (killed, OOM, node lost) before
            // acknowledging it is delivered again. Must exceed the longest job (GenerateReport:
            // work_ms <= 20 s) plus margin AND the worker's `queue:work --timeout` (60 s in
            // k8s/base/worker-deployment.yaml and the image's default): otherwise a job still running
            // is delivered a second time. The job is idempotent anyway (applied once), see docs/APP.md.
            'retry_after' => (int) env('QUEUE_RETRY_AFTER', 90),
            // seconds BLPOP waits for a job; below REDIS_READ_TIMEOUT
            'block_for' => (int) env('QUEUE_BLOCK_FOR', 3),
            'after_commit' => true,
        ],
    ],

    // Queues whose pending size /metrics exports as laravel_queue_size{queue} (comma separated).
    'monitored' => array_filter(explode(',', env('QUEUE_MONITORED', env('REDIS_QUEUE', 'default')))),

    // Deliveries of a job before it is recorded in failed_jobs. Laravel counts an attempt when a
    // worker reserves the job, so an attempt whose worker was killed counts too: keep it above
    // max_exceptions so that kills (rollouts, evictions) do not use up the budget of real failures.
    'tries' => (int) env('QUEUE_TRIES', 5),

    // Attempts that threw before the job is recorded in failed_jobs (at most `tries`).
    'max_exceptions' => (int) env('QUEUE_MAX_EXCEPTIONS', 3),

    // Seconds between the attempts that threw (the last value repeats).
    'backoff' => array_map('intval', array_filter(explode(',', env('QUEUE_BACKOFF', '1,2,4')), 'strlen')),

    // Worker heartbeat file touched every loop; the worker image's HEALTHCHECK reads its age.
    'heartbeat_file' => env('QUEUE_HEARTBEAT_FILE', '/tmp/queue-worker.heartbeat'),

    'batching' => [
        'database' => env('DB_CONNECTION', 'mysql'),
        'table' => 'job_batches',
    ],

    'failed' => [
        'driver' => 'database-uuids',
        'database' => env('DB_CONNECTION', 'mysql'),
        'table' => 'failed_jobs',
    ],

];
