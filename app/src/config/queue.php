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
            // a reserved job whose worker died is released after this many seconds (> the longest job)
            'retry_after' => (int) env('QUEUE_RETRY_AFTER', 90),
            // seconds BLPOP waits for a job; below REDIS_READ_TIMEOUT
            'block_for' => (int) env('QUEUE_BLOCK_FOR', 3),
            'after_commit' => true,
        ],
    ],

    // Queues whose pending size /metrics exports as laravel_queue_size{queue} (comma separated).
    'monitored' => array_filter(explode(',', env('QUEUE_MONITORED', env('REDIS_QUEUE', 'default')))),

    // Attempts before a job is recorded in failed_jobs, and seconds between attempts.
    'tries' => (int) env('QUEUE_TRIES', 3),
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
