<?php

use App\Logging\JsonLineFormatter;
use Monolog\Handler\StreamHandler;

return [

    // Supported: "stderr" (one JSON object per line on the process's stderr), "null".
    // Containers log to stderr only; FPM relays worker stderr unchanged (decorate_workers_output = no).
    'default' => env('LOG_CHANNEL', 'stderr'),

    // Where deprecation warnings go ("null" drops them).
    'deprecations' => [
        'channel' => env('LOG_DEPRECATIONS_CHANNEL', 'null'),
        'trace' => false,
    ],

    'channels' => [
        'stderr' => [
            'driver' => 'monolog',
            // Supported: debug, info, notice, warning, error, critical, alert, emergency.
            'level' => env('LOG_LEVEL', 'info'),
            'handler' => StreamHandler::class,
            'formatter' => JsonLineFormatter::class,
            'with' => [
                'stream' => env('LOG_STREAM', 'php://stderr'),
            ],
        ],
        'null' => [
            'driver' => 'monolog',
            'handler' => Monolog\Handler\NullHandler::class,
        ],
        'emergency' => [
            'path' => env('LOG_STREAM', 'php://stderr'),
        ],
    ],

];
