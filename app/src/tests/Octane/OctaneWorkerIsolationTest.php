<?php

namespace Tests\Octane;

use App\Metrics\RequestContext;
use Illuminate\Http\Request;
use Laravel\Octane\ApplicationFactory;
use Laravel\Octane\Testing\Fakes\FakeClient;
use Laravel\Octane\Testing\Fakes\FakeWorker;
use PHPUnit\Framework\Attributes\Group;

/**
 * In the laravel/octane style: several requests through ONE worker, each response asserted on
 * its own, so state of one request (auth, request id, locale) cannot leak into the next.
 */
#[Group('swoole-memory-leak-prevention')]
class OctaneWorkerIsolationTest extends SwooleTestCase
{
    /**
     * @param  list<Request>  $requests
     * @param  (callable(\Illuminate\Routing\Router, \Illuminate\Foundation\Application): void)|null  $routes  extra routes on the worker's app
     * @return list<\Symfony\Component\HttpFoundation\Response>
     */
    private function throughOneWorker(array $requests, ?callable $routes = null): array
    {
        if (! class_exists(FakeWorker::class)) {
            $this->markTestSkipped('laravel/octane is not installed next to ext-swoole in this PHP: its FakeWorker runs these requests');
        }
        $client = new FakeClient($requests);
        $worker = new FakeWorker(new ApplicationFactory(base_path()), $client);
        $worker->boot();
        if ($routes !== null) {
            $routes($worker->application()->make('router'), $worker->application());
        }
        $worker->run();
        $worker->terminate();

        return $client->responses;
    }

    public function test_the_request_id_of_one_request_does_not_appear_on_the_next(): void
    {
        $first = Request::create('/api/ping', 'GET', server: ['HTTP_X_REQUEST_ID' => 'octane-first-0001']);
        $second = Request::create('/api/ping', 'GET');

        [$a, $b] = $this->throughOneWorker([$first, $second]);

        $this->assertSame('octane-first-0001', $a->headers->get('X-Request-Id'));
        $this->assertNotSame('octane-first-0001', $b->headers->get('X-Request-Id'));
    }

    public function test_a_logged_in_user_does_not_leak_into_the_next_request(): void
    {
        $user = \App\Models\User::query()->create(['name' => 'Oct', 'email' => 'oct@example.test', 'password' => 'octane-pass-1']);
        $login = Request::create('/api/auth/login', 'POST', server: ['CONTENT_TYPE' => 'application/json', 'HTTP_ACCEPT' => 'application/json'],
            content: json_encode(['email' => $user->email, 'password' => 'octane-pass-1']));
        $anonymous = Request::create('/api/auth/me', 'GET', server: ['HTTP_ACCEPT' => 'application/json']);

        [$a, $b] = $this->throughOneWorker([$login, $anonymous]);

        $this->assertSame(200, $a->getStatusCode());
        $this->assertSame(401, $b->getStatusCode());
    }

    public function test_a_config_change_in_one_request_is_gone_in_the_next(): void
    {
        $routes = function ($router) {
            $router->get('/_isolation/config/set', fn () => response()->json(['locale' => tap('xx', fn ($l) => config(['app.locale' => $l]))]));
            $router->get('/_isolation/config/get', fn () => response()->json(['locale' => config('app.locale')]));
        };

        [$a, $b] = $this->throughOneWorker([Request::create('/_isolation/config/set'), Request::create('/_isolation/config/get')], $routes);

        $this->assertSame('xx', $a->getData(true)['locale']);
        $this->assertSame(config('app.locale'), $b->getData(true)['locale']);
    }

    public function test_an_instance_bound_during_one_request_is_gone_in_the_next(): void
    {
        $routes = function ($router) {
            $router->get('/_isolation/bind', function () {
                app()->instance('isolation.probe', new \stdClass());

                return response()->json(['bound' => app()->bound('isolation.probe')]);
            });
            $router->get('/_isolation/probe', fn () => response()->json(['bound' => app()->bound('isolation.probe')]));
        };

        [$a, $b] = $this->throughOneWorker([Request::create('/_isolation/bind'), Request::create('/_isolation/probe')], $routes);

        $this->assertTrue($a->getData(true)['bound']);
        $this->assertFalse($b->getData(true)['bound'], 'a container instance of one request leaked into the next');
    }

    public function test_the_request_context_of_one_request_is_not_the_object_the_next_one_gets(): void
    {
        $seen = [];
        $routes = function ($router, $app) use (&$seen) {
            // resolved on the worker's application before any request, as a log line written
            // while the worker boots does (JsonLineFormatter): every request's sandbox starts as
            // a clone of it, so only the scoped binding's reset keeps it out of the next request
            $app->make(RequestContext::class)->requestId = 'worker-boot';
            $router->get('/_isolation/context', function () use (&$seen) {
                $seen[] = app(RequestContext::class);

                return response()->json(['request_id' => end($seen)->requestId]);
            });
        };
        $first = Request::create('/_isolation/context', 'GET', server: ['HTTP_X_REQUEST_ID' => 'octane-context-1']);

        [$a, $b] = $this->throughOneWorker([$first, Request::create('/_isolation/context')], $routes);

        $this->assertSame('octane-context-1', $a->getData(true)['request_id']);
        $this->assertSame($b->headers->get('X-Request-Id'), $b->getData(true)['request_id']);
        $this->assertCount(2, $seen);
        $this->assertNotSame($seen[0], $seen[1], 'the second request got the first request\'s RequestContext');
    }
}
