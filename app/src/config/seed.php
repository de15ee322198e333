<?php

return [

    // The demo account `php artisan db:seed` creates (local/demo clusters only; a Secret elsewhere).
    'demo_email' => env('SEED_DEMO_EMAIL', 'demo@example.test'),
    'demo_password' => env('SEED_DEMO_PASSWORD', 'change-me-demo-password'),

];
