<?php

return [

    // The API renders JSON only; the framework still needs the paths to exist.
    'paths' => [resource_path('views')],

    'compiled' => storage_path('framework/views'),

];
