<?php

namespace App\Octane;

use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;

/**
 * TEST ONLY, a deliberate leak: GET /api/_test/leak?kb=N keeps N KB in a static array that lives
 * as long as the worker process. Under Octane it grows with every request until max_request
 * recycles the worker: the container tier's soak test proves that recycling bounds it. The route
 * exists only with OCTANE_TEST_LEAK_ROUTE=true outside production (config/octane.php); else 404.
 */
class LeakController
{
    /** @var list<string> */
    private static array $kept = [];

    public function __invoke(Request $request): JsonResponse
    {
        $kb = filter_var($request->query('kb', '64'), FILTER_VALIDATE_INT, ['options' => ['min_range' => 1, 'max_range' => 1024]]);
        if ($kb === false) {
            return response()->json(['message' => 'kb must be a whole number from 1 to 1024'], 422);
        }
        self::$kept[] = str_repeat(chr(65 + count(self::$kept) % 26), $kb * 1024);

        return response()->json([
            'kept_requests' => count(self::$kept),
            'kept_bytes' => array_sum(array_map('strlen', self::$kept)),
            'pid' => getmypid(),
        ]);
    }
}
