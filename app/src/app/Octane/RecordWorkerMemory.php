<?php

namespace App\Octane;

use Swoole\Table;

/**
 * After each request: this worker is idle again, has served one more request, and its memory
 * (PHP's allocator and the process's RSS) goes into the shared `workers` table, where /metrics
 * reads every worker's row (swoole_memory_*, swoole_worker_*). Keyed by Swoole's worker id, not
 * the pid: a recycled worker (max_request) takes over its predecessor's row instead of leaving a
 * stale one in the sum.
 */
class RecordWorkerMemory extends WorkersTableListener
{
    protected function update(Table $table, string $key, object $event): void
    {
        $table->set($key, ['busy_since' => 0.0] + self::process());
        $table->incr($key, 'requests');
    }
}
