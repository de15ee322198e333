<?php

namespace App\Octane;

use Swoole\Table;

/**
 * An Octane listener that keeps this HTTP worker's row of the shared `workers` table (one row per
 * Swoole worker id; /health, /ready and /metrics read every row). Where there is no such row
 * (Octane's test worker, artisan, a task worker) the listener does nothing.
 */
abstract class WorkersTableListener
{
    final public function handle(object $event): void
    {
        $row = SwooleWorker::workersRow($event);
        if ($row !== null) {
            $this->update($row[0], $row[1], $event);
        }
    }

    abstract protected function update(Table $table, string $key, object $event): void;

    /** @return array{pid: int, memory: int, peak: int, rss: int} this process now */
    protected static function process(): array
    {
        return ['pid' => getmypid(), 'memory' => memory_get_usage(true), 'peak' => memory_get_peak_usage(true), 'rss' => SwooleWorker::rssBytes()];
    }
}
