<?php

namespace App\Octane;

use Swoole\Table;

/**
 * Before each request (RequestReceived): this HTTP worker's row of the `workers` table. A new
 * process (a recycled worker, max_request) starts its row afresh; the request marks it busy since
 * now (WorkerStats reads it for /ready). Given an event without a request (WorkerStarting), it
 * only starts the row.
 */
class MarkWorkerBusy extends WorkersTableListener
{
    protected function update(Table $table, string $key, object $event): void
    {
        $row = $table->get($key);
        if ($row === false || (int) $row['pid'] !== getmypid()) {
            $table->set($key, ['requests' => 0, 'busy_since' => 0.0] + self::process());
        }
        if (isset($event->request)) {
            $table->set($key, ['busy_since' => microtime(true)]);
        }
    }
}
