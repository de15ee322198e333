<?php

namespace App\Octane;

/**
 * After each request: this worker is idle again, has served one more request, and its memory
 * (PHP's allocator and the process's RSS) goes into the shared `workers` table, where /metrics
 * reads every worker's row (swoole_memory_*, swoole_worker_*). Keyed by Swoole's worker id, not
 * the pid: a recycled worker (max_request) takes over its predecessor's row instead of leaving a
 * stale one in the sum. Without a Swoole server (Octane's test worker) there is no table: nothing.
 */
class RecordWorkerMemory
{
    public function handle(object $event): void
    {
        $row = SwooleWorker::workersRow($event);
        if ($row === null) {
            return;
        }
        [$table, $key] = $row;
        $table->set($key, [
            'pid' => getmypid(),
            'busy_since' => 0.0,
            'memory' => memory_get_usage(true),
            'peak' => memory_get_peak_usage(true),
            'rss' => SwooleWorker::rssBytes(),
        ]);
        $table->incr($key, 'requests');
    }
}
