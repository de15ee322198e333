<?php

namespace App\Octane;

use App\Metrics\Collector;
use Closure;

/**
 * swoole_* series from Server::stats() of the Octane server, plus what each HTTP worker records
 * after every request (RecordWorkerMemory) in the `workers` table: the sums (swoole_memory_*) and
 * one series per worker id (swoole_worker_rss_bytes, _memory_bytes, _requests; the requests count
 * starts again at 0 when max_request recycles the worker).
 */
final class SwooleStatsCollector implements Collector
{
    public function __construct(private readonly Closure $server, private readonly Closure $workersTable)
    {
    }

    public function collect(): array
    {
        $server = ($this->server)();
        if ($server === null) {
            return [];
        }
        $s = $server->stats();
        $workers = (float) ($s['worker_num'] ?? 0);
        $idle = (float) ($s['idle_worker_num'] ?? 0);
        $memory = 0.0;
        $peak = 0.0;
        $perWorker = [];
        foreach (($this->workersTable)() as $id => $row) {
            if ((int) $id >= $workers) {
                continue; // a row of a worker id beyond the current worker_num
            }
            $memory += (float) $row['memory'];
            $peak += (float) $row['peak'];
            $labels = ['worker' => (string) $id];
            $perWorker[] = ['swoole_worker_rss_bytes', '', $labels, (float) $row['rss']];
            $perWorker[] = ['swoole_worker_memory_bytes', '', $labels, (float) $row['memory']];
            $perWorker[] = ['swoole_worker_requests', '', $labels, (float) $row['requests']];
        }
        $rows = [
            'swoole_worker_num' => $workers,
            'swoole_idle_worker_num' => $idle,
            'swoole_task_worker_num' => $s['task_worker_num'] ?? 0,
            'swoole_tasking_num' => $s['tasking_num'] ?? 0,
            'swoole_connection_num' => $s['connection_num'] ?? 0,
            'swoole_accept_count' => $s['accept_count'] ?? 0,
            'swoole_close_count' => $s['close_count'] ?? 0,
            'swoole_request_count' => $s['request_count'] ?? 0,
            'swoole_memory_usage' => $memory,
            'swoole_memory_peak' => $peak,
            'swoole_worker_utilization' => $workers > 0 ? 100 * ($workers - $idle) / $workers : 0,
            'swoole_coroutine_num' => $s['coroutine_num'] ?? 0,
        ];

        return [...array_map(fn ($name, $value) => [$name, '', [], (float) $value], array_keys($rows), $rows), ...$perWorker];
    }
}
