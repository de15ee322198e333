<?php

namespace App\Http\Middleware;

use Closure;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\Response;
use Symfony\Component\HttpKernel\Exception\HttpException;

/**
 * Bodies above app.max_body_bytes get 413 JSON before anything parses them; the attachment upload
 * route's limit is uploads.max_bytes plus the multipart overhead (config/uploads.php).
 */
class LimitRequestBody
{
    public function handle(Request $request, Closure $next): Response
    {
        $max = $request->isMethod('POST') && $request->is('api/tasks/*/attachments')
            ? (int) config('uploads.max_bytes') + (int) config('uploads.multipart_overhead_bytes')
            : (int) config('app.max_body_bytes');
        $declared = (int) $request->server('CONTENT_LENGTH', 0);
        $tooLarge = $declared > 0 ? $declared > $max : strlen((string) $request->getContent()) > $max;
        if ($max > 0 && $tooLarge) {
            throw new HttpException(413, "Request body larger than {$max} bytes.");
        }

        return $next($request);
    }
}
