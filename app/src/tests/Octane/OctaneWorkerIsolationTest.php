<?php

namespace Tests\Octane;

use Laravel\Octane\ApplicationFactory;
use Illuminate\Http\Request;
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
    /** @param list<Request> $requests @return list<\Symfony\Component\HttpFoundation\Response> */
    private function throughOneWorker(array $requests): array
    {
        if (! class_exists(FakeWorker::class)) {
            $this->markTestSkipped('laravel/octane is not installed (run with --profile online)');
        }
        $client = new FakeClient($requests);
        $worker = new FakeWorker(new ApplicationFactory(base_path()), $client);
        $worker->boot();
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
}
