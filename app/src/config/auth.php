<?php

return [

    // Session guard: the session lives in Redis (config/session.php), so any replica can serve it.
    'defaults' => [
        'guard' => 'web',
        'passwords' => 'users',
    ],

    'guards' => [
        'web' => [
            'driver' => 'session',
            'provider' => 'users',
        ],
    ],

    'providers' => [
        'users' => [
            'driver' => 'eloquent',
            'model' => App\Models\User::class,
        ],
    ],

    'passwords' => [
        'users' => [
            'provider' => 'users',
            'table' => 'password_reset_tokens',
            'expire' => 60,
            'throttle' => 60,
        ],
    ],

    // Failed logins allowed per minute for one e-mail + client address before 429.
    'login_max_attempts' => (int) env('AUTH_LOGIN_MAX_ATTEMPTS', 5),

    // Seconds a throttled login has to wait.
    'login_decay_seconds' => (int) env('AUTH_LOGIN_DECAY_SECONDS', 60),

    // Registrations allowed per minute from one client address before 429 (every attempt counts).
    'register_max_attempts' => (int) env('AUTH_REGISTER_MAX_ATTEMPTS', 10),

    'password_timeout' => 10800,

];
