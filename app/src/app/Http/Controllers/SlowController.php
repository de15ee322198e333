<?php

namespace App\Http\Controllers;

use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Log;

/**
 * A request that takes ?ms=N milliseconds of wall time while using no CPU (it sleeps): the
 * in-flight request of the graceful-shutdown tests, which must outlast a stop signal without
 * burning a core (/api/stress is CPU-bound and capped at 500 ms in the deployment).
 * N is required and validated against config/slow.php (default 1..20000); anything else is a 422.
 * The start is logged (with the request id) so a test can see the server has the request.
 */
class SlowController extends Controller
{
    public function __invoke(Request $request): JsonResponse
    {
        $ms = $this->milliseconds($request, 'slow');

        Log::info('slow request started', ['ms' => $ms]);
        $start = hrtime(true);
        $deadline = $start + $ms * 1_000_000;
        // a signal (FPM's SIGQUIT on a graceful stop) cuts usleep() short: sleep the rest again
        while (($left = $deadline - hrtime(true)) > 0) {
            usleep(intdiv($left, 1000) + 1);
        }
        $slept = (int) round((hrtime(true) - $start) / 1e6);

        return response()->json([
            'ms' => $ms,
            'slept_ms' => $slept,
            'pid' => getmypid(),
            'runtime' => config('app.runtime'),
        ]);
    }
}
