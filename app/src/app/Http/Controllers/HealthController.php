<?php

namespace App\Http\Controllers;

use App\Health\Readiness;
use App\Octane\WorkerStats;
use Illuminate\Http\JsonResponse;
use Illuminate\Support\Facades\Log;

class HealthController extends Controller
{
    /**
     * Liveness: the process answers. No database, no Redis: a dependency outage must not restart pods.
     * Under Octane it also reports the Swoole workers (idle/busy, connections, tasking): never a
     * reason to fail liveness, /ready decides on them.
     */
    public function live(WorkerStats $workers): JsonResponse
    {
        $body = ['status' => 'ok', 'runtime' => config('app.runtime')];
        if (($stats = $workers->snapshot()) !== null) {
            $body['workers'] = $stats;
        }

        return response()->json($body)->header('Cache-Control', 'no-store');
    }

    /**
     * Readiness: 200 when every required check passes, 503 (with the same per-check JSON)
     * otherwise; a failing optional check (`required: false`, the object store) answers 200 with
     * status "degraded".
     */
    public function ready(Readiness $readiness): JsonResponse
    {
        $checks = $readiness->run();
        $failed = array_keys(array_filter($checks, fn ($c) => ! $c['ok']));
        $ok = [] === array_filter($failed, fn ($name) => ($checks[$name]['required'] ?? true) !== false);
        if ($failed) {
            Log::warning($ok ? 'degraded' : 'not ready', ['failed' => $failed]);
        }
        $status = $ok ? ($failed ? 'degraded' : 'ok') : 'fail';

        return response()->json(['status' => $status, 'checks' => $checks], $ok ? 200 : 503)
            ->header('Cache-Control', 'no-store');
    }
}
