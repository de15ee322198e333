<?php

namespace App\Http\Middleware;

use Illuminate\Auth\Middleware\Authenticate as Middleware;
use Illuminate\Http\Request;

class Authenticate extends Middleware
{
    /** A JSON API never redirects to a login page: unauthenticated is a 401. */
    protected function redirectTo(Request $request): ?string
    {
        return null;
    }
}
