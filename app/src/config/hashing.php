<?php

return [

    // Supported: "bcrypt", "argon", "argon2id".
    'driver' => 'bcrypt',

    'bcrypt' => [
        // cost factor; tests lower it (phpunit.xml), production keeps 12
        'rounds' => (int) env('BCRYPT_ROUNDS', 12),
        'verify' => true,
    ],

];
