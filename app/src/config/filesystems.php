<?php

return [

    // Supported: "local", "objects".
    'default' => env('FILESYSTEM_DISK', 'local'),

    'disks' => [
        'local' => [
            'driver' => 'local',
            'root' => storage_path('app'),
            'throw' => false,
        ],

        // The uploads' object store (docs/UPLOADS.md). The keys are those of Laravel's own s3
        // driver, so the same variables serve both drivers. Supported drivers:
        //   "s3-sigv4"  the app's adapter (app/Filesystem/S3Adapter.php: async-aws-core's SigV4
        //               signer + Symfony's HTTP client, both Debian packages): the default
        //   "s3"        Laravel's driver; needs league/flysystem-aws-s3-v3 from Packagist (online only)
        'objects' => [
            'driver' => env('OBJECT_STORE_DRIVER', 's3-sigv4'),
            'key' => env('AWS_ACCESS_KEY_ID'),
            'secret' => env('AWS_SECRET_ACCESS_KEY'),
            'region' => env('AWS_DEFAULT_REGION', 'us-east-1'),
            'bucket' => env('AWS_BUCKET'),
            // empty = AWS S3 itself (https://s3.<region>.amazonaws.com, virtual-hosted bucket names)
            'endpoint' => env('AWS_ENDPOINT'),
            'use_path_style_endpoint' => (bool) env('AWS_USE_PATH_STYLE_ENDPOINT', false),
            // where clients reach the store, for presigned URLs (empty: the endpoint)
            'presign_endpoint' => env('AWS_PRESIGN_ENDPOINT'),
            // seconds without progress before a request to the store fails (then 503)
            'timeout' => (float) env('OBJECT_STORE_TIMEOUT', 10),
            'throw' => true,
        ],
    ],

];
