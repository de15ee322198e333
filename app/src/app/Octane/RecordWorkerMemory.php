<?php

namespace App\Octane;

use Laravel\Octane\Facades\Octane;

/** After each request: this worker's memory into the shared `workers` table (swoole_memory_*). */
class RecordWorkerMemory
{
    public function handle(object $event): void
    {
        Octane::table('workers')->set((string) getmypid(), [
            'memory' => memory_get_usage(true),
            'peak' => memory_get_peak_usage(true),
        ]);
    }
}
