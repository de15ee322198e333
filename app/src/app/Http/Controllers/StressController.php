<?php

namespace App\Http\Controllers;

use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;

/**
 * CPU-bound work for HPA demos: hashes for ?ms=N milliseconds of wall time on this worker.
 * N is validated against config/stress.php (default 1..500); anything else is a 422.
 */
class StressController extends Controller
{
    public function __invoke(Request $request): JsonResponse
    {
        $ms = $this->milliseconds($request, 'stress');

        $deadline = hrtime(true) + $ms * 1_000_000;
        $iterations = 0;
        $hash = 'lks';
        do {
            for ($i = 0; $i < 200; $i++) {
                $hash = hash('sha256', $hash);
            }
            $iterations += 200;
        } while (hrtime(true) < $deadline);

        return response()->json([
            'ms' => $ms,
            'iterations' => $iterations,
            'hash' => substr($hash, 0, 16),
            'pid' => getmypid(),
            'runtime' => config('app.runtime'),
        ]);
    }
}
