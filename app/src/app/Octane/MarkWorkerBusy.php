<?php

namespace App\Octane;

/**
 * At WorkerStarting and before each request: this HTTP worker's row of the `workers` table. A new
 * process (a recycled worker, max_request) starts its row afresh; a request marks it busy since
 * now. Nothing happens without a Swoole server (Octane's test worker, artisan).
 */
class MarkWorkerBusy
{
    public function handle(object $event): void
    {
        $row = SwooleWorker::workersRow($event);
        if ($row === null) {
            return;
        }
        [$table, $key] = $row;
        $row = $table->get($key);
        if ($row === false || (int) $row['pid'] !== getmypid()) {
            $table->set($key, ['pid' => getmypid(), 'requests' => 0, 'busy_since' => 0.0,
                'memory' => memory_get_usage(true), 'peak' => memory_get_peak_usage(true), 'rss' => SwooleWorker::rssBytes()]);
        }
        if (isset($event->request)) {
            $table->set($key, ['busy_since' => microtime(true)]);
        }
    }
}
