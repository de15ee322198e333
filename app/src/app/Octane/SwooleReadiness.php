<?php

namespace App\Octane;

use App\Health\Readiness;
use Illuminate\Contracts\Cache\Factory as CacheFactory;
use Illuminate\Contracts\Queue\Factory as QueueFactory;
use Illuminate\Database\DatabaseManager;
use Illuminate\Redis\RedisManager;

/**
 * Readiness under Octane: the app's checks plus `workers` (WorkerStats): not ready while no HTTP
 * worker has been idle for longer than octane.ready_max_busy_seconds, so Kubernetes stops routing
 * to a saturated pod. OctaneWorkerServiceProvider binds it only inside a Swoole server.
 */
class SwooleReadiness extends Readiness
{
    public function __construct(
        DatabaseManager $db,
        RedisManager $redis,
        CacheFactory $cache,
        QueueFactory $queue,
        private readonly WorkerStats $workers,
    ) {
        parent::__construct($db, $redis, $cache, $queue);
    }

    public function run(): array
    {
        $checks = parent::run();
        $start = hrtime(true);
        $stats = $this->workers->snapshot() ?? [];
        $check = ['ok' => ($stats['saturated'] ?? false) === false, 'detail' => $stats];
        if (! $check['ok']) {
            $check['error'] = sprintf('no idle worker: the %d other HTTP worker(s) busy for more than %s s',
                $stats['other_workers_busy_too_long'], $stats['max_busy_s']);
        }
        $check['ms'] = round((hrtime(true) - $start) / 1e6, 2);
        $checks['workers'] = $check;

        return $checks;
    }
}
