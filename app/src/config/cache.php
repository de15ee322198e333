<?php

return [

    // Supported: "redis", "array", "file". Redis is shared by every replica.
    'default' => env('CACHE_DRIVER', 'redis'),

    'stores' => [
        'redis' => [
            'driver' => 'redis',
            'connection' => 'cache',
            'lock_connection' => 'default',
        ],
        'array' => [
            'driver' => 'array',
            'serialize' => false,
        ],
        'file' => [
            'driver' => 'file',
            'path' => storage_path('framework/cache/data'),
        ],
    ],

    // Key prefix, so several apps can share one Redis.
    'prefix' => env('CACHE_PREFIX', 'lks_cache_'),

];
