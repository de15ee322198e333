<?php

namespace App\Http\Controllers;

use Illuminate\Http\JsonResponse;

/** The reference endpoint of the benchmarks: the framework's request path, no I/O. */
class PingController extends Controller
{
    public function __invoke(): JsonResponse
    {
        return response()->json(['pong' => true, 'runtime' => config('app.runtime')]);
    }
}
