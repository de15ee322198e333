<?php

use App\Logging\CountRecords;
use App\Logging\JsonLineFormatter;
use Monolog\Handler\StreamHandler;

return [

    // Supported: "stderr" (one JSON object per line on the process's stderr), "discard".
    // ("null" cannot name a channel: env() turns the string "null" into PHP null.)
    // Containers log to stderr only; FPM relays worker stderr unchanged (decorate_workers_output = no).
    'default' => env('LOG_CHANNEL', 'stderr'),

    // Where deprecation warnings go ("discard" drops them).
    'deprecations' => [
        'channel' => env('LOG_DEPRECATIONS_CHANNEL', 'discard'),
        'trace' => false,
    ],

    'channels' => [
        'stderr' => [
            'driver' => 'monolog',
            // Supported: debug, info, notice, warning, error, critical, alert, emergency.
            'level' => env('LOG_LEVEL', 'info'),
            'handler' => StreamHandler::class,
            'formatter' => JsonLineFormatter::class,
            // app_log_records_total{level}: the log volume panel and the error-log-rate alert
            'tap' => [CountRecords::class],
            'with' => [
                'stream' => env('LOG_STREAM', 'php://stderr'),
            ],
        ],
        'discard' => [
            'driver' => 'monolog',
            'handler' => Monolog\Handler\NullHandler::class,
        ],
        'emergency' => [
            'path' => env('LOG_STREAM', 'php://stderr'),
        ],
    ],

];
