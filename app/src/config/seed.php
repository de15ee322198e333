<?php

return [

    // The demo account `php artisan db:seed` creates; no password (the default) = no demo account.
    'demo_email' => env('SEED_DEMO_EMAIL', 'demo@example.test'),
    'demo_password' => env('SEED_DEMO_PASSWORD', ''),

];
