<?php

namespace App\Octane;

use Illuminate\Contracts\Container\Container;

/**
 * The Octane server's workers as /health and /ready report them: Swoole's Server::stats() (idle
 * and busy HTTP workers, task workers, tasking, connections) plus the `workers` table, where each
 * HTTP worker marks since when it has been busy (MarkWorkerBusy / RecordWorkerMemory).
 *
 * Saturated = no worker idle for longer than octane.ready_max_busy_seconds: every HTTP worker
 * other than the one answering has been on one request for longer than that. The answering worker
 * is not counted (it is busy answering); with a single worker there is no other one, and a busy
 * single worker cannot answer the probe at all (the probe's timeout fails it).
 */
class WorkerStats
{
    public function __construct(private readonly Container $app)
    {
    }

    /** @return array<string, int|float|bool>|null null outside a Swoole server (FPM, artisan, tests) */
    public function snapshot(): ?array
    {
        $server = SwooleWorker::server($this->app);
        if ($server === null) {
            return null;
        }
        $rows = [];
        foreach (SwooleWorker::table($this->app, 'workers') ?? [] as $key => $row) {
            $rows[(int) $key] = $row;
        }

        return self::evaluate($server->stats(), $rows, SwooleWorker::httpWorkerId($this->app), microtime(true),
            (float) config('octane.ready_max_busy_seconds'));
    }

    /**
     * @param  array<string, int>  $stats  Server::stats()
     * @param  array<int, array{busy_since: float}>  $rows  the `workers` table by worker id
     * @return array<string, int|float|bool|null>
     */
    public static function evaluate(array $stats, array $rows, ?int $self, float $now, float $limit): array
    {
        $workers = (int) ($stats['worker_num'] ?? 0);
        $idle = (int) ($stats['idle_worker_num'] ?? 0);
        $others = 0;
        $busyTooLong = 0;
        $longest = 0.0;
        for ($id = 0; $id < $workers; $id++) {
            if ($id === $self) {
                continue;
            }
            $others++;
            $since = (float) ($rows[$id]['busy_since'] ?? 0);
            $busy = $since > 0 ? max(0.0, $now - $since) : 0.0;
            $longest = max($longest, $busy);
            if ($since > 0 && $busy > $limit) {
                $busyTooLong++;
            }
        }

        return [
            'workers' => $workers,
            'idle' => $idle,
            'busy' => max(0, $workers - $idle),
            'task_workers' => (int) ($stats['task_worker_num'] ?? 0),
            'task_idle' => (int) ($stats['task_idle_worker_num'] ?? 0),
            'tasking' => (int) ($stats['tasking_num'] ?? 0),
            'connections' => (int) ($stats['connection_num'] ?? 0),
            'requests' => (int) ($stats['request_count'] ?? 0),
            'worker_id' => $self,
            'other_workers_busy_too_long' => $busyTooLong,
            'longest_busy_s' => round($longest, 3),
            'max_busy_s' => $limit,
            'saturated' => $others > 0 && $busyTooLong === $others,
        ];
    }
}
