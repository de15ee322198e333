<?php

return [

    // Bounds of /api/stress?ms=N (CPU time burnt per request). Values outside get 422.
    'min_ms' => (int) env('STRESS_MIN_MS', 1),
    'max_ms' => (int) env('STRESS_MAX_MS', 500),

    // Default when ?ms is absent.
    'default_ms' => (int) env('STRESS_DEFAULT_MS', 50),

];
