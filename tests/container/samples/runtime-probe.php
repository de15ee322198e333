<?php
// Copied into the running FPM container and requested over FastCGI by the container tier:
// reports the settings *as loaded by the FPM SAPI* (not `php -i` in the CLI).
header('Content-Type: application/json');
$ini = [];
foreach ([
    'opcache.enable', 'opcache.enable_cli', 'opcache.validate_timestamps', 'opcache.revalidate_freq',
    'opcache.memory_consumption', 'opcache.interned_strings_buffer', 'opcache.max_accelerated_files',
    'opcache.save_comments', 'opcache.preload', 'opcache.jit', 'memory_limit', 'expose_php',
    'max_execution_time', 'post_max_size', 'upload_max_filesize', 'display_errors', 'session.save_handler',
] as $key) {
    $ini[$key] = ini_get($key);
}
$status = function_exists('opcache_get_status') ? opcache_get_status(false) : false;
echo json_encode([
    'sapi' => PHP_SAPI,
    'uid' => function_exists('posix_getuid') ? posix_getuid() : null,
    'ini' => $ini,
    'opcache' => $status === false ? null : [
        'enabled' => $status['opcache_enabled'],
        'hits' => $status['opcache_statistics']['hits'],
        'misses' => $status['opcache_statistics']['misses'],
        'hit_rate' => $status['opcache_statistics']['opcache_hit_rate'],
        'cached_scripts' => $status['opcache_statistics']['num_cached_scripts'],
        // what opcache.preload linked into shared memory in the master (bootstrap/preload.php)
        'preloaded_classes' => $status['preload_statistics']['classes'] ?? [],
    ],
]);
