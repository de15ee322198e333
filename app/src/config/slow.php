<?php

return [

    // Bounds of /api/slow?ms=N (wall time a request holds its worker, sleeping). Values outside
    // get 422. The default ceiling (20 s) is the web pod's FPM process_control_timeout: a request
    // the app accepts always fits in the graceful-stop window that follows the preStop drain.
    'min_ms' => (int) env('SLOW_MIN_MS', 1),
    'max_ms' => (int) env('SLOW_MAX_MS', 20000),

];
