<?php

namespace App\Metrics;

/**
 * Every series the app exports (the metrics contract shared with monitoring/): name => type, help,
 * label names and, for the stored ones, where they live:
 *   local  this server's shared storage (APCu under FPM, a Swoole Table under Octane)
 *   redis  shared by every process (the queue worker writes, any pod's /metrics reads)
 *   scrape computed at scrape time by a collector (OPcache, FPM pool, Swoole, memory, queue size)
 * Types follow the linter of `promtool check metrics`: names ending in _total are counters
 * (or untyped where the value can go down), other monotonic values are gauges, and the POC's
 * swoole_*_count names are untyped (a gauge or counter may not end in _count).
 */
final class Definitions
{
    /** @return array<string, array{type: string, help: string, labels: list<string>, store: string}> */
    public static function all(): array
    {
        $d = [
            // --- requests (local)
            'http_requests_total' => ['counter', 'HTTP requests by method, route pattern and status.', ['method', 'route', 'status'], 'local'],
            'http_request_duration_seconds' => ['histogram', 'HTTP request duration by method and route pattern.', ['method', 'route'], 'local'],
            'laravel_db_query_duration_seconds' => ['histogram', 'Database query time by connection.', ['connection'], 'local'],
            'laravel_cache_hits_total' => ['counter', 'Cache hits by store.', ['store'], 'local'],
            'laravel_cache_misses_total' => ['counter', 'Cache misses by store.', ['store'], 'local'],
            // --- uploads to the object store (local), outcome: stored, too_large, wrong_type, invalid, store_unavailable, error
            'app_uploads_total' => ['counter', 'Attachment uploads by outcome.', ['outcome'], 'local'],
            'app_upload_bytes_total' => ['counter', 'Bytes of attachment uploads by outcome (the file, not the request).', ['outcome'], 'local'],
            'app_upload_duration_seconds' => ['histogram', 'Attachment upload time in the app (validation, hashing, the PUT to the store, the row) by outcome.', ['outcome'], 'local'],
            // --- tracing (local; App\Tracing): reason queue_full (the per-request buffer), export_error
            // (collector unreachable, too slow or refusing), backoff (not sent after a recent failure)
            'app_trace_spans_exported_total' => ['counter', 'Spans sent to the trace collector and accepted by it.', [], 'local'],
            'app_trace_spans_dropped_total' => ['counter', 'Spans dropped instead of exported, by reason.', ['reason'], 'local'],
            // --- logs (local): records the stderr channel wrote, by level (App\Logging\CountRecords)
            'app_log_records_total' => ['counter', 'Log records written by the app, by level.', ['level'], 'local'],
            // --- queue (redis: written by the worker process)
            'laravel_queue_jobs_processed_total' => ['counter', 'Queue jobs processed successfully, by queue and job class.', ['queue', 'job'], 'redis'],
            'laravel_queue_jobs_failed_total' => ['counter', 'Queue jobs that failed for good (recorded in failed_jobs), by queue and job class.', ['queue', 'job'], 'redis'],
            'laravel_queue_size' => ['gauge', 'Jobs pending in the queue (ready, delayed and reserved).', ['queue'], 'scrape'],
            // --- process
            'app_info' => ['gauge', 'Build and runtime of the serving process (always 1).', ['version', 'runtime'], 'scrape'],
            'php_memory_usage_bytes' => ['gauge', 'memory_get_usage() of the worker serving the scrape.', [], 'scrape'],
            'php_memory_peak_bytes' => ['gauge', 'memory_get_peak_usage() of the worker serving the scrape.', [], 'scrape'],
            // --- OPcache of the serving SAPI
            'opcache_enabled' => ['gauge', 'OPcache enabled in the serving SAPI (1/0).', [], 'scrape'],
            'opcache_memory_usage_used_memory' => ['gauge', 'OPcache shared memory used, bytes.', [], 'scrape'],
            'opcache_memory_usage_free_memory' => ['gauge', 'OPcache shared memory free, bytes.', [], 'scrape'],
            'opcache_memory_usage_wasted_memory' => ['gauge', 'OPcache shared memory wasted, bytes.', [], 'scrape'],
            'opcache_statistics_hits' => ['gauge', 'OPcache hits since start (monotonic).', [], 'scrape'],
            'opcache_statistics_misses' => ['gauge', 'OPcache misses since start (monotonic).', [], 'scrape'],
            'opcache_statistics_hit_rate' => ['gauge', 'OPcache hit rate since start, ratio 0..1.', [], 'scrape'],
            'opcache_statistics_num_cached_scripts' => ['gauge', 'Scripts in the OPcache.', [], 'scrape'],
            'opcache_statistics_oom_restarts' => ['gauge', 'OPcache restarts because its memory was full (monotonic).', [], 'scrape'],
            'opcache_interned_strings_usage_used_memory' => ['gauge', 'OPcache interned strings buffer used, bytes.', [], 'scrape'],
            'opcache_interned_strings_usage_free_memory' => ['gauge', 'OPcache interned strings buffer free, bytes.', [], 'scrape'],
            // --- PHP-FPM pool (FPM variant), from the pool's status (fpm_get_status(), the data of pm.status_path)
            'php_fpm_pool_processes_total' => ['untyped', 'FPM worker processes (idle + active).', ['pool'], 'scrape'],
            'php_fpm_pool_processes_active' => ['gauge', 'FPM workers serving a request.', ['pool'], 'scrape'],
            'php_fpm_pool_processes_idle' => ['gauge', 'FPM workers waiting for a request.', ['pool'], 'scrape'],
            'php_fpm_pool_processes_max' => ['gauge', 'pm.max_children of the pool.', ['pool'], 'scrape'],
            'php_fpm_pool_processes_max_reached' => ['gauge', 'Times the pool hit pm.max_children since start (monotonic).', ['pool'], 'scrape'],
            'php_fpm_pool_slow_requests_total' => ['counter', 'Requests slower than request_slowlog_timeout.', ['pool'], 'scrape'],
            'php_fpm_pool_listen_queue' => ['gauge', 'Connections waiting for a free worker.', ['pool'], 'scrape'],
            'php_fpm_pool_listen_queue_max' => ['gauge', 'Most connections ever waiting at once since start.', ['pool'], 'scrape'],
            'php_fpm_pool_accepted_connections_total' => ['counter', 'Connections accepted by the pool.', ['pool'], 'scrape'],
            // --- Swoole (Swoole variant), from Server::stats()
            'swoole_worker_num' => ['gauge', 'Swoole HTTP workers.', [], 'scrape'],
            'swoole_idle_worker_num' => ['gauge', 'Swoole HTTP workers idle.', [], 'scrape'],
            'swoole_task_worker_num' => ['gauge', 'Swoole task workers.', [], 'scrape'],
            'swoole_tasking_num' => ['gauge', 'Tasks being processed.', [], 'scrape'],
            'swoole_connection_num' => ['gauge', 'Open connections.', [], 'scrape'],
            'swoole_accept_count' => ['untyped', 'Connections accepted since start (monotonic).', [], 'scrape'],
            'swoole_close_count' => ['untyped', 'Connections closed since start (monotonic).', [], 'scrape'],
            'swoole_request_count' => ['untyped', 'Requests received since start (monotonic).', [], 'scrape'],
            'swoole_memory_usage' => ['gauge', 'Memory used by the HTTP workers, bytes (sum over workers).', [], 'scrape'],
            'swoole_memory_peak' => ['gauge', 'Peak memory of the HTTP workers, bytes (sum over workers).', [], 'scrape'],
            'swoole_worker_utilization' => ['gauge', 'Busy HTTP workers, percent 0..100.', [], 'scrape'],
            'swoole_coroutine_num' => ['gauge', 'Coroutines alive.', [], 'scrape'],
            'swoole_worker_rss_bytes' => ['gauge', 'Resident set size of one HTTP worker process after its last request, bytes.', ['worker'], 'scrape'],
            'swoole_worker_memory_bytes' => ['gauge', 'memory_get_usage(true) of one HTTP worker after its last request, bytes.', ['worker'], 'scrape'],
            'swoole_worker_requests' => ['gauge', 'Requests one HTTP worker process has served (0 again after max_request recycles it).', ['worker'], 'scrape'],
        ];

        $out = [];
        foreach ($d as $name => [$type, $help, $labels, $store]) {
            $out[$name] = ['type' => $type, 'help' => $help, 'labels' => $labels, 'store' => $store];
        }

        return $out;
    }
}
