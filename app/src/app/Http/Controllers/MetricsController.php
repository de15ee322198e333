<?php

namespace App\Http\Controllers;

use App\Metrics\Exposition;
use App\Metrics\Registry;
use Illuminate\Http\Response;

/** GET /metrics: the registry in Prometheus text format 0.0.4. */
class MetricsController extends Controller
{
    public function __invoke(Registry $registry): Response
    {
        return response($registry->render(), 200, [
            'Content-Type' => Exposition::CONTENT_TYPE,
            'Cache-Control' => 'no-store',
        ]);
    }
}
