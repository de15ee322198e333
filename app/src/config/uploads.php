<?php

// Task attachments (POST /api/tasks/{task}/attachments, GET|DELETE /api/attachments/{id}):
// docs/UPLOADS.md.
return [

    // The disk of config/filesystems.php holding the objects.
    'disk' => env('UPLOADS_DISK', 'objects'),

    // Largest accepted file in bytes (413 above). The upload route's request body may exceed it
    // by the multipart overhead below; nginx's NGINX_UPLOAD_MAX_BODY_SIZE and php.ini's
    // upload_max_filesize / post_max_size (32M) must stay at or above it.
    'max_bytes' => (int) env('UPLOAD_MAX_BYTES', 25 * 1024 * 1024),
    'multipart_overhead_bytes' => 64 * 1024,

    // MIME types accepted, as detected from the content (not the client's claim), comma separated.
    'allowed_types' => array_values(array_filter(array_map('trim', explode(',', (string) env(
        'UPLOAD_ALLOWED_TYPES',
        'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,application/zip,application/octet-stream',
    ))))),

    // GET /api/attachments/{id}: "stream" (the app streams the object) or "redirect" (302 to a
    // presigned URL of the store, valid for presign_ttl seconds). Supported: stream, redirect.
    'download' => env('UPLOAD_DOWNLOAD', 'stream'),
    'presign_ttl' => (int) env('UPLOAD_PRESIGN_TTL', 300),

];
