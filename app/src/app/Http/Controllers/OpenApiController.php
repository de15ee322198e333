<?php

namespace App\Http\Controllers;

use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;

/**
 * GET /api/openapi.json: the API's OpenAPI 3 document (resources/openapi/openapi.json, written by
 * hand; tests/Feature/OpenApiDocumentTest.php keeps it and routes/api.php in step). What depends
 * on the serving instance is filled in from its config: the version, the session cookie's name
 * and the bounds of /api/stress and /api/slow, so a client (or the fuzzer) asks only what this
 * instance accepts. The file is read once per process; the response carries an ETag and may be
 * cached for 5 minutes (304 for a matching If-None-Match).
 */
class OpenApiController extends Controller
{
    public const FILE = 'openapi/openapi.json';

    /** @var array<string, mixed>|null the committed document, once per process (FPM child or Octane worker) */
    private static ?array $document = null;

    public function __invoke(Request $request): JsonResponse
    {
        $document = self::committed();
        $document['info']['version'] = (string) config('app.version');
        $document['components']['securitySchemes']['session']['name'] = (string) config('session.cookie');
        $parameters = &$document['components']['parameters'];
        $parameters['StressMs']['schema']['minimum'] = (int) config('stress.min_ms');
        $parameters['StressMs']['schema']['maximum'] = (int) config('stress.max_ms');
        $parameters['StressMs']['schema']['default'] = (int) config('stress.default_ms');
        $parameters['SlowMs']['schema']['minimum'] = (int) config('slow.min_ms');
        $parameters['SlowMs']['schema']['maximum'] = (int) config('slow.max_ms');
        unset($parameters);

        $response = response()->json($document, 200, ['Cache-Control' => 'public, max-age=300'], JSON_UNESCAPED_SLASHES);
        $response->setEtag(hash('xxh128', (string) $response->getContent()));
        $response->isNotModified($request);

        return $response;
    }

    /** @return array<string, mixed> */
    private static function committed(): array
    {
        return self::$document ??= json_decode(
            (string) file_get_contents(resource_path(self::FILE)), true, 512, JSON_THROW_ON_ERROR,
        );
    }
}
