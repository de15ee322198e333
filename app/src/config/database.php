<?php

// The one Redis server both Redis connections below talk to.
$redisServer = [
    'url' => env('REDIS_URL'),
    'host' => env('REDIS_HOST', '127.0.0.1'),
    'username' => env('REDIS_USERNAME') ?: null,
    'password' => env('REDIS_PASSWORD') ?: null,
    'port' => env('REDIS_PORT', '6379'),
    // seconds: a dead Redis fails /ready fast instead of hanging the worker
    'timeout' => (float) env('REDIS_TIMEOUT', 2),
    'read_timeout' => (float) env('REDIS_READ_TIMEOUT', 5),
];

return [

    // Supported: "mysql" (MySQL 8 or MariaDB 11).
    'default' => env('DB_CONNECTION', 'mysql'),

    'connections' => [
        'mysql' => [
            'driver' => 'mysql',
            'url' => env('DATABASE_URL'),
            'host' => env('DB_HOST', '127.0.0.1'),
            'port' => env('DB_PORT', '3306'),
            'database' => env('DB_DATABASE', 'laravel'),
            'username' => env('DB_USERNAME', 'laravel'),
            'password' => env('DB_PASSWORD', ''),
            'unix_socket' => env('DB_SOCKET', ''),
            'charset' => 'utf8mb4',
            'collation' => 'utf8mb4_unicode_ci',
            'prefix' => '',
            'prefix_indexes' => true,
            'strict' => true,
            'engine' => null,
            'options' => array_filter([
                // connect timeout in seconds: /ready must answer within the probe's timeout
                PDO::ATTR_TIMEOUT => (int) env('DB_CONNECT_TIMEOUT', 2),
                PDO::MYSQL_ATTR_SSL_CA => env('MYSQL_ATTR_SSL_CA'),
            ]),
        ],
    ],

    'migrations' => 'migrations',

    'redis' => [

        // Supported: "phpredis" (the extension; Debian php8.4-redis, pecl redis online).
        'client' => env('REDIS_CLIENT', 'phpredis'),

        'options' => [
            'cluster' => env('REDIS_CLUSTER', 'redis'),
            'prefix' => env('REDIS_PREFIX', 'lks_'),
        ],

        // sessions, the queue and the shared metrics; the cache in a database of its own
        'default' => ['database' => env('REDIS_DB', '0')] + $redisServer,
        'cache' => ['database' => env('REDIS_CACHE_DB', '1')] + $redisServer,

    ],

];
