<?php

namespace Tests\Feature;

use App\Http\Controllers\OpenApiController;
use Illuminate\Routing\Route as RoutingRoute;
use Illuminate\Support\Facades\Route;
use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

/**
 * The OpenAPI document (resources/openapi/openapi.json, served at GET /api/openapi.json) and the
 * routes agree both ways: every /api route is documented with its method and parameters, every
 * documented operation is a route, and each operation's security is what the route's middleware
 * enforces. The fuzzing test of the container tier (tests/container/test_api_fuzzing.py) then
 * checks the answers against the same document.
 */
#[Group('api-crud')]
#[Group('api-fuzzing')]
class OpenApiDocumentTest extends TestCase
{
    private const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

    /** @return array<string, mixed> */
    private function committed(): array
    {
        return json_decode((string) file_get_contents(resource_path(OpenApiController::FILE)), true, 512, JSON_THROW_ON_ERROR);
    }

    /** @return array<string, array<string, mixed>> "METHOD /path" => the operation */
    private function documented(array $document): array
    {
        $operations = [];
        foreach ($document['paths'] as $path => $item) {
            foreach (array_intersect_key($item, array_flip(self::METHODS)) as $method => $operation) {
                $operations[strtoupper($method).' '.$path] = $operation;
            }
        }

        return $operations;
    }

    /** @return array<string, RoutingRoute> "METHOD /uri" => the route, for the routes under /api (HEAD: Laravel's twin of GET) */
    private function apiRoutes(): array
    {
        $routes = [];
        foreach (Route::getRoutes() as $route) {
            if (! str_starts_with($route->uri(), 'api/')) {
                continue;
            }
            foreach (array_diff($route->methods(), ['HEAD']) as $method) {
                $routes["{$method} /{$route->uri()}"] = $route;
            }
        }

        return $routes;
    }

    public function test_every_api_route_is_documented_and_every_documented_operation_is_a_route(): void
    {
        $routes = array_keys($this->apiRoutes());
        $documented = array_keys($this->documented($this->committed()));

        $this->assertSame([], array_values(array_diff($routes, $documented)), 'routes missing from the OpenAPI document');
        $this->assertSame([], array_values(array_diff($documented, $routes)), 'documented operations that are no route');
        $this->assertGreaterThanOrEqual(20, count($routes));
    }

    public function test_every_path_parameter_of_a_route_is_declared_and_required_in_the_document(): void
    {
        $document = $this->committed();
        foreach ($this->documented($document) as $key => $operation) {
            [, $path] = explode(' ', $key, 2);
            $declared = [];
            foreach (array_merge($document['paths'][$path]['parameters'] ?? [], $operation['parameters'] ?? []) as $parameter) {
                $parameter = $this->resolve($document, $parameter);
                if ($parameter['in'] === 'path') {
                    $this->assertTrue($parameter['required'] ?? false, "{$key}: path parameter {$parameter['name']} not required");
                    $declared[] = $parameter['name'];
                }
            }
            preg_match_all('/\{(\w+)\}/', $path, $names);
            $this->assertEqualsCanonicalizing($names[1], $declared, "{$key}: path parameters");
        }
    }

    public function test_the_documented_security_is_what_the_route_middleware_enforces(): void
    {
        $document = $this->committed();
        $routes = $this->apiRoutes();
        foreach ($this->documented($document) as $key => $operation) {
            $middleware = $routes[$key]->gatherMiddleware();
            $security = $operation['security'] ?? $document['security'] ?? [];
            $schemes = array_unique(array_merge(...array_map('array_keys', $security ?: [[]])));
            if (! in_array('auth', $middleware, true)) {
                $this->assertSame([], $security, "{$key} is public: no security requirement");

                continue;
            }
            $this->assertContains('session.cookie', $middleware, "{$key}: a guest without a cookie gets 401 before a session starts");
            $writes = ! str_starts_with($key, 'GET ');
            // a write needs the session cookie and a CSRF token (either header), a read the cookie only
            $expected = $writes ? [['session' => [], 'csrfToken' => []], ['session' => [], 'xsrfToken' => []]] : [['session' => []]];
            $this->assertSame($expected, $security, "{$key}: security");
            $this->assertArrayHasKey('401', $operation['responses'], "{$key}: documents the guest's 401");
            $this->assertSame($writes, isset($operation['responses']['419']), "{$key}: 419 documented exactly for writes");
            foreach ($schemes as $scheme) {
                $this->assertArrayHasKey($scheme, $document['components']['securitySchemes']);
            }
        }
    }

    public function test_the_document_is_served_as_json_with_the_settings_of_the_serving_instance(): void
    {
        config(['slow.max_ms' => 250, 'stress.max_ms' => 120, 'stress.default_ms' => 7, 'app.version' => '9.8.7']);

        $response = $this->get('/api/openapi.json');

        $response->assertOk()->assertHeader('Content-Type', 'application/json');
        $served = $response->json();
        $this->assertSame('3.0.3', $served['openapi']);
        $this->assertSame('9.8.7', $served['info']['version']);
        $this->assertSame(config('session.cookie'), $served['components']['securitySchemes']['session']['name']);
        $this->assertSame(['type' => 'integer', 'minimum' => 1, 'maximum' => 250], $served['components']['parameters']['SlowMs']['schema']);
        $this->assertSame(['type' => 'integer', 'minimum' => 1, 'maximum' => 120, 'default' => 7], $served['components']['parameters']['StressMs']['schema']);
        // apart from those, the committed file as it is (no `{}` turned into `[]` on the way)
        $expected = $this->committed();
        foreach (['info', 'components'] as $part) {
            unset($expected[$part], $served[$part]);
        }
        $this->assertSame(json_encode($expected), json_encode($served));
        $this->assertNull($response->headers->getCookies()[0] ?? null, 'a stateless route sets no cookie');

        $etag = (string) $response->headers->get('ETag');
        $this->assertNotSame('', $etag);
        $this->get('/api/openapi.json', ['If-None-Match' => $etag])->assertStatus(304);
    }

    public function test_every_reference_of_the_document_resolves(): void
    {
        $document = $this->committed();
        $references = [];
        array_walk_recursive($document, function ($value, $key) use (&$references) {
            if ($key === '$ref') {
                $references[] = $value;
            }
        });
        $this->assertNotEmpty($references);
        foreach (array_unique($references) as $reference) {
            $this->assertIsArray($this->resolve($document, ['$ref' => $reference]), "{$reference} resolves");
        }
    }

    /** @return array<string, mixed> `$node`, or what its local `$ref` points at */
    private function resolve(array $document, array $node): array
    {
        if (! isset($node['$ref'])) {
            return $node;
        }
        $this->assertStringStartsWith('#/', $node['$ref']);
        foreach (explode('/', substr($node['$ref'], 2)) as $segment) {
            $this->assertIsArray($document, "{$node['$ref']}: {$segment}");
            $this->assertArrayHasKey($segment, $document, "{$node['$ref']} does not resolve");
            $document = $document[$segment];
        }

        return $document;
    }
}
