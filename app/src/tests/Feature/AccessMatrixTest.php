<?php

namespace Tests\Feature;

use App\Models\JobRun;
use App\Models\Task;
use App\Models\User;
use Illuminate\Database\Eloquent\ModelNotFoundException;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\Facades\Gate;
use Illuminate\Support\Facades\Queue;
use Illuminate\Support\Facades\Route;
use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

/**
 * Who may do what (docs/APP.md, "Access matrix"): every route, called by a guest (no cookie), by
 * the owner and by another logged-in user, each through a real login whose session lives in
 * Redis, each request on a fresh application instance. Another user's task or job is a 404 that
 * looks exactly like an id that does not exist, and never carries the row's data.
 */
#[Group('auth-redis-sessions')]
#[Group('api-crud')]
class AccessMatrixTest extends TestCase
{
    /** Routes a guest may call, with what they answer without a session. */
    private const PUBLIC = [
        'GET health' => 200, 'GET ready' => 200, 'GET metrics' => 200,
        'GET api/ping' => 200, 'GET api/openapi.json' => 200, 'GET api/stress' => 200, 'GET api/stress-test' => 200, 'GET api/slow' => 200,
        'POST api/auth/register' => 201, 'POST api/auth/login' => 401, // 401: no such account
    ];

    /** Routes that need a session: 401 for a guest. */
    private const SESSION = [
        'GET api/auth/me', 'POST api/auth/logout',
        'GET api/tasks', 'POST api/tasks', 'GET api/tasks/{task}', 'PUT api/tasks/{task}',
        'PATCH api/tasks/{task}', 'DELETE api/tasks/{task}', 'POST api/jobs', 'GET api/jobs/{jobRun}',
        'POST api/tasks/{task}/attachments', 'GET api/attachments/{attachment}', 'DELETE api/attachments/{attachment}',
    ];

    private User $owner;

    private User $other;

    private Task $task;

    protected function setUp(): void
    {
        parent::setUp();
        $this->owner = $this->newUser('Owner');
        $this->other = $this->newUser('Other');
        $this->task = $this->owner->tasks()->create(['title' => 'Owner secret plan', 'description' => 'only for the owner']);
        $this->other->tasks()->create(['title' => 'Other user task']);
        $this->loginAs($this->owner);
        $this->loginAs($this->other);
    }

    /** @return list<string> the session keys in Redis */
    private function sessionKeys(): array
    {
        return array_values(array_filter(
            (array) \Illuminate\Support\Facades\Redis::connection(config('session.connection'))->command('keys', ['*']),
            fn ($key) => ! str_contains((string) $key, 'login:') && ! str_contains((string) $key, 'metrics'),
        ));
    }

    private function uri(string $route): string
    {
        return '/'.strtr($route, [
            '{task}' => (string) $this->task->id, '{jobRun}' => '00000000-0000-0000-0000-000000000000', '{attachment}' => '1',
        ]);
    }

    public function test_every_route_is_in_the_access_matrix(): void
    {
        $routes = [];
        foreach (Route::getRoutes() as $route) {
            foreach (array_diff($route->methods(), ['HEAD']) as $method) {
                $routes[] = "{$method} {$route->uri()}";
            }
        }
        sort($routes);
        $matrix = array_merge(array_keys(self::PUBLIC), self::SESSION);
        sort($matrix);

        // a new route fails here until it is given a row: public, or behind the session
        $this->assertSame($matrix, $routes);
    }

    public function test_a_guest_gets_401_json_from_every_route_that_needs_a_session(): void
    {
        foreach (self::SESSION as $route) {
            [$method, $path] = explode(' ', $route, 2);
            $this->asGuest()->json($method, $this->uri($path), ['title' => 'guest write', 'numbers' => [1]])
                ->assertUnauthorized()->assertExactJson(['message' => 'Unauthenticated.']);
        }

        $this->assertSame(2, Task::query()->count(), 'no guest write reached the database');
        $this->assertSame(2, count($this->sessionKeys()), 'only the two logins stored a session: refused guests none');
        $this->assertSame('Owner secret plan', $this->task->fresh()->title);
        $this->assertSame(0, JobRun::query()->count());
        $this->assertSame(0, Queue::connection('redis')->size('default'));
    }

    /**
     * One call of a PUBLIC route as it is meant to be used: small parameters, and a valid body for
     * register (a new account per `$name`) and login (an account that does not exist).
     *
     * @return array{string, string, array<string, string>} method, URI, body
     */
    private function publicCall(string $route, string $name): array
    {
        [$method, $path] = explode(' ', $route, 2);
        $body = match ($path) {
            'api/auth/register' => ['name' => $name, 'email' => strtolower(strtr($name, ' ', '-')).'@example.test', 'password' => 'long-enough-1'],
            'api/auth/login' => ['email' => 'nobody@example.test', 'password' => 'wrong-password'],
            default => [],
        };
        $query = str_starts_with($path, 'api/stress') || $path === 'api/slow' ? '?ms=1' : '';

        return [$method, "/{$path}{$query}", $body];
    }

    public function test_a_guest_reaches_the_probes_the_scrape_and_the_stateless_routes(): void
    {
        foreach (self::PUBLIC as $route => $status) {
            [$method, $uri, $body] = $this->publicCall($route, 'New Person');
            $this->asGuest()->json($method, $uri, $body)->assertStatus($status);
        }
    }

    public function test_a_logged_in_caller_reaches_the_public_routes_with_its_session_cookie_and_no_token(): void
    {
        foreach (self::PUBLIC as $route => $status) {
            [$method, $uri, $body] = $this->publicCall($route, 'Second Account');
            // the cookie alone, as a browser sends it: login and register need no CSRF token (docs/APP.md)
            $response = $this->withSessionOf($this->owner)->json($method, $uri, $body);

            $this->assertSame($status, $response->getStatusCode(), "{$route} with a session cookie: {$response->getContent()}");
        }
        $this->assertSame(1, User::query()->where('email', 'second-account@example.test')->count());
    }

    public function test_the_list_shows_only_the_callers_tasks(): void
    {
        $mine = $this->loginAs($this->owner)->getJson('/api/tasks')->assertOk();
        $mine->assertJsonPath('meta.total', 1)->assertJsonPath('data.0.title', 'Owner secret plan')
            ->assertJsonPath('data.0.user_id', $this->owner->id);

        $theirs = $this->loginAs($this->other)->getJson('/api/tasks?search=secret')->assertOk();
        $theirs->assertJsonPath('meta.total', 0)->assertJsonCount(0, 'data');
        $this->loginAs($this->other)->getJson('/api/tasks')->assertOk()
            ->assertJsonPath('meta.total', 1)->assertJsonPath('data.0.title', 'Other user task');
    }

    public function test_a_task_is_created_for_the_caller_whatever_owner_the_body_names(): void
    {
        $created = $this->loginAs($this->other)
            ->postJson('/api/tasks', ['title' => 'Planted', 'user_id' => $this->owner->id])->assertCreated();

        $created->assertJsonPath('data.user_id', $this->other->id);
        $this->assertSame($this->other->id, Task::query()->findOrFail($created->json('data.id'))->user_id);
    }

    public function test_the_owner_reads_changes_and_deletes_their_task(): void
    {
        $id = $this->task->id;
        $this->loginAs($this->owner)->getJson("/api/tasks/{$id}")->assertOk()
            ->assertJsonPath('data.title', 'Owner secret plan')->assertJsonPath('data.user_id', $this->owner->id);
        $this->loginAs($this->owner)->putJson("/api/tasks/{$id}", ['title' => 'Owner renamed plan'])->assertOk()
            ->assertJsonPath('data.title', 'Owner renamed plan');
        $this->loginAs($this->owner)->patchJson("/api/tasks/{$id}", ['status' => 'done', 'user_id' => $this->other->id])->assertOk()
            ->assertJsonPath('data.status', 'done')->assertJsonPath('data.user_id', $this->owner->id);
        // what `curl -X DELETE` sends: no body, no Content-Type
        // (an empty CONTENT_TYPE: Symfony's test request would default it to a form's)
        $this->loginAs($this->owner)->call('DELETE', "/api/tasks/{$id}", [], $this->prepareCookiesForRequest(), [],
            $this->transformHeadersToServerVars(['Accept' => 'application/json']) + ['CONTENT_TYPE' => ''],
        )->assertNoContent();
        $this->assertNull(Task::query()->find($id));
    }

    public function test_another_users_task_is_not_found_for_read_update_and_delete(): void
    {
        $id = $this->task->id;
        $unknown = Task::query()->max('id') + 1000;
        foreach ([['GET', []], ['PUT', ['title' => 'Hijacked']], ['PATCH', ['status' => 'done']], ['DELETE', []]] as [$method, $body]) {
            $response = $this->loginAs($this->other)->json($method, "/api/tasks/{$id}", $body);

            $response->assertNotFound()->assertExactJson(['message' => "Task {$id} not found."]);
            $this->assertStringNotContainsString('secret', (string) $response->getContent());
            // exactly what an id that does not exist answers: nothing tells the two apart
            $this->loginAs($this->other)->json($method, "/api/tasks/{$unknown}", $body)
                ->assertNotFound()->assertExactJson(['message' => "Task {$unknown} not found."]);
        }

        $task = $this->task->fresh();
        $this->assertSame(['Owner secret plan', 'todo'], [$task->title, $task->status], 'the row is unchanged');
    }

    public function test_a_job_records_who_dispatched_it_and_only_they_read_its_status(): void
    {
        $created = $this->loginAs($this->owner)->postJson('/api/jobs', ['numbers' => [1, 2]])->assertStatus(202);
        $id = (string) $created->json('data.id');
        $this->assertSame($this->owner->id, JobRun::query()->findOrFail($id)->user_id);

        $this->loginAs($this->owner)->getJson("/api/jobs/{$id}")->assertOk()->assertJsonPath('data.status', 'queued');
        $this->loginAs($this->other)->getJson("/api/jobs/{$id}")->assertNotFound()
            ->assertExactJson(['message' => "JobRun {$id} not found."]);
        $this->asGuest()->getJson("/api/jobs/{$id}")->assertUnauthorized();

        $theirs = $this->loginAs($this->other)->postJson('/api/jobs', ['numbers' => [3]])->assertStatus(202)
            ->assertJsonPath('data.status', 'queued');
        $theirId = (string) $theirs->json('data.id');
        $this->assertNotSame($id, $theirId);
        $this->assertSame($this->other->id, JobRun::query()->findOrFail($theirId)->user_id, 'owned by who dispatched it');
        $this->loginAs($this->other)->getJson("/api/jobs/{$theirId}")->assertOk()->assertJsonPath('data.id', $theirId);
        $this->loginAs($this->owner)->getJson("/api/jobs/{$theirId}")->assertNotFound();
    }

    public function test_the_route_binding_finds_only_the_callers_rows_even_without_the_policy(): void
    {
        $run = $this->owner->jobRuns()->create(['status' => 'queued', 'attempts' => 0]);
        $router = $this->app->make('router');

        Auth::setUser($this->owner);
        $this->assertTrue($this->task->is($router->getBindingCallback('task')((string) $this->task->id)));
        $this->assertTrue($run->is($router->getBindingCallback('jobRun')((string) $run->id)));

        Auth::setUser($this->other);
        foreach (['task' => (string) $this->task->id, 'jobRun' => (string) $run->id] as $parameter => $id) {
            try {
                $router->getBindingCallback($parameter)($id);
                $this->fail("{$parameter} {$id} of the owner was bound for another user");
            } catch (ModelNotFoundException $e) {
                $this->assertSame([$id], array_map('strval', $e->getIds()));
            }
        }
    }

    public function test_the_policies_deny_another_user_as_not_found_not_forbidden(): void
    {
        $run = $this->owner->jobRuns()->create(['status' => 'queued', 'attempts' => 0]);

        foreach (['view', 'update', 'delete'] as $ability) {
            $this->assertTrue(Gate::forUser($this->owner)->allows($ability, $this->task), "owner may {$ability}");
            $denied = Gate::forUser($this->other)->inspect($ability, $this->task);
            $this->assertTrue($denied->denied(), "another user may not {$ability}");
            $this->assertSame(404, $denied->status());
        }
        $this->assertTrue(Gate::forUser($this->owner)->allows('view', $run));
        $this->assertSame(404, Gate::forUser($this->other)->inspect('view', $run)->status());
        // an ownerless row (written before tasks had owners) belongs to nobody
        $legacy = Task::query()->create(['title' => 'from before owners']);
        $this->assertTrue(Gate::forUser($this->owner)->denies('view', $legacy));
        $this->assertSame(0, Task::query()->ownedBy(null)->count(), 'a guest owns nothing, not the ownerless rows');
    }

    public function test_a_logged_in_write_without_the_csrf_token_is_refused_with_419(): void
    {
        $this->withSessionOf($this->owner)->postJson('/api/tasks', ['title' => 'Forged'])
            ->assertStatus(419)->assertJsonStructure(['message']);
        $this->withSessionOf($this->owner)->withHeader('X-XSRF-TOKEN', 'not-the-token')
            ->deleteJson("/api/tasks/{$this->task->id}")->assertStatus(419);
        $this->withSessionOf($this->owner)->withHeader('X-CSRF-TOKEN', $this->csrfTokenOf($this->other))
            ->postJson('/api/jobs', ['numbers' => [1]])->assertStatus(419);
        $this->withSessionOf($this->owner)->postJson('/api/auth/logout')->assertStatus(419);

        $this->assertSame(0, Task::query()->where('title', 'Forged')->count());
        $this->assertNotNull($this->task->fresh());
        $this->assertSame(0, JobRun::query()->count());
        // reads need no token
        $this->withSessionOf($this->owner)->getJson('/api/tasks')->assertOk();
    }

    public function test_the_plain_csrf_token_of_the_login_response_works_as_x_csrf_token(): void
    {
        $this->withSessionOf($this->owner)->withHeader('X-CSRF-TOKEN', $this->csrfTokenOf($this->owner))
            ->postJson('/api/tasks', ['title' => 'With the plain token'])->assertCreated();
    }

    public function test_session_cookies_are_secure_when_configured_and_keep_samesite_lax(): void
    {
        $this->asGuest();
        config(['session.secure' => true]);
        $login = $this->postJson('/api/auth/login', ['email' => $this->owner->email, 'password' => self::PASSWORD])->assertOk();

        foreach ([config('session.cookie'), 'XSRF-TOKEN'] as $name) {
            $cookie = $login->getCookie($name, false);
            $this->assertNotNull($cookie, $name);
            $this->assertTrue($cookie->isSecure(), "{$name} is Secure");
            $this->assertSame('lax', strtolower((string) $cookie->getSameSite()), "{$name} is SameSite=Lax");
        }
        $this->assertTrue($login->getCookie(config('session.cookie'), false)->isHttpOnly());
        $this->assertFalse($login->getCookie('XSRF-TOKEN', false)->isHttpOnly(), 'the page script must read XSRF-TOKEN');

        $this->asGuest();
        config(['session.secure' => false]);
        $plain = $this->postJson('/api/auth/login', ['email' => $this->owner->email, 'password' => self::PASSWORD]);
        $this->assertFalse($plain->getCookie(config('session.cookie'), false)->isSecure());
    }

    public function test_registration_is_throttled_per_client_with_429(): void
    {
        $this->asGuest();
        config(['auth.register_max_attempts' => 2]);
        foreach (['one', 'two'] as $n) {
            $this->postJson('/api/auth/register', ['name' => $n, 'email' => "{$n}@example.test", 'password' => 'long-enough-1'])->assertCreated();
        }

        $throttled = $this->postJson('/api/auth/register', ['name' => 'three', 'email' => 'three@example.test', 'password' => 'long-enough-1']);

        $throttled->assertStatus(429)->assertJsonStructure(['message']);
        $this->assertGreaterThan(0, (int) $throttled->headers->get('Retry-After'));
        $this->assertSame(0, User::query()->where('email', 'three@example.test')->count());
    }

    public function test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_register_limit(): void
    {
        $this->asGuest();
        // k8s/base/app-config.env: the pod network, where the Ingress controller's pods live
        config(['auth.register_max_attempts' => 1, 'app.trusted_proxies' => '10.244.0.0/16']);
        $register = function (string $peer, string $client, string $name) {
            return $this->withServerVariables(['REMOTE_ADDR' => $peer])->withHeader('X-Forwarded-For', $client)
                ->postJson('/api/auth/register', ['name' => $name, 'email' => "{$name}@example.test", 'password' => 'long-enough-1']);
        };

        // one Traefik pod forwards two clients: each has its own limit
        $register('10.244.0.7', '203.0.113.10', 'client-a-one')->assertCreated();
        $register('10.244.0.7', '203.0.113.10', 'client-a-two')->assertStatus(429);
        $register('10.244.0.7', '203.0.113.20', 'client-b-one')->assertCreated();
        // a peer outside the trusted network: its X-Forwarded-For is ignored, the limit is the peer's own
        $register('192.0.2.50', '203.0.113.30', 'spoof-one')->assertCreated();
        $register('192.0.2.50', '203.0.113.40', 'spoof-two')->assertStatus(429);

        $this->assertSame(
            ['client-a-one@example.test', 'client-b-one@example.test', 'spoof-one@example.test'],
            User::query()->where('email', 'not like', 'owner-%')->where('email', 'not like', 'other-%')->orderBy('email')->pluck('email')->all(),
        );
    }

    public function test_metrics_is_a_404_for_a_request_a_proxy_forwarded_and_served_to_a_direct_scrape(): void
    {
        $this->asGuest()->get('/metrics')->assertOk();
        foreach (['X-Forwarded-Proto' => 'https', 'X-Forwarded-Host' => 'localhost', 'Forwarded' => 'proto=https'] as $name => $value) {
            $this->asGuest()->withHeader($name, $value)->get('/metrics')
                ->assertNotFound()->assertExactJson(['message' => 'The route metrics could not be found.']);
        }
        $this->asGuest()->get('/no-such-route')->assertNotFound()->assertExactJson(['message' => 'The route no-such-route could not be found.']);
    }
}
