<?php

namespace App\Octane;

use Laravel\Octane\Facades\Octane;

/** After each request: this worker's memory into the shared `workers` table (swoole_memory_*). */
class RecordWorkerMemory
{
    public function handle(object $event): void
    {
        // keyed by Swoole's worker id, not the pid: a recycled worker (max_request) takes over its
        // predecessor's row instead of leaving a stale one in the sum
        $server = app()->bound(\Swoole\Http\Server::class) ? app(\Swoole\Http\Server::class) : null;
        $id = $server !== null ? (string) $server->worker_id : (string) getmypid();
        Octane::table('workers')->set($id, [
            'memory' => memory_get_usage(true),
            'peak' => memory_get_peak_usage(true),
        ]);
    }
}
