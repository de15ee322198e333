<?php

namespace App\Http\Controllers;

use Illuminate\Foundation\Auth\Access\AuthorizesRequests;
use Illuminate\Foundation\Validation\ValidatesRequests;
use Illuminate\Http\Request;
use Illuminate\Routing\Controller as BaseController;

abstract class Controller extends BaseController
{
    use AuthorizesRequests, ValidatesRequests;

    /**
     * ?ms=N of the endpoints that hold a request for N milliseconds (/api/slow, /api/stress): a
     * whole number within config("{$config}.min_ms") and config("{$config}.max_ms"), else 422
     * with the validation errors. Where the config has a default_ms, ?ms may be left out.
     */
    protected function milliseconds(Request $request, string $config): int
    {
        $default = config("{$config}.default_ms");
        $bounds = sprintf('between:%d,%d', (int) config("{$config}.min_ms"), (int) config("{$config}.max_ms"));
        $data = $request->validate(['ms' => [$default === null ? 'required' : 'sometimes', 'integer', $bounds]]);

        return (int) ($data['ms'] ?? $default);
    }
}
