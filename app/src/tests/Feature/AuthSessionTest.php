<?php

namespace Tests\Feature;

use App\Models\User;
use Illuminate\Support\Facades\Redis;
use Illuminate\Testing\TestResponse;
use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

#[Group('auth-redis-sessions')]
class AuthSessionTest extends TestCase
{
    private function sessionCookie(TestResponse $response): string
    {
        $cookie = $response->getCookie(config('session.cookie'), false);
        $this->assertNotNull($cookie, 'the response sets the session cookie');

        return (string) $cookie->getValue();
    }

    /** Requests with only the (encrypted, as the browser holds it) session cookie. */
    private function asBrowser(string $cookie): static
    {
        // JSON test requests send cookies only withCredentials(), as a browser's fetch() does
        return $this->withCredentials()->withUnencryptedCookie(config('session.cookie'), $cookie);
    }

    /** @return list<string> session keys in Redis */
    private function redisSessionKeys(): array
    {
        return array_values(array_filter(
            (array) Redis::connection(config('session.connection'))->command('keys', ['*']),
            fn ($key) => ! str_contains((string) $key, 'login:') && ! str_contains((string) $key, 'metrics'),
        ));
    }

    private function user(string $email = 'ada@example.test', string $password = 'correct-horse-1'): User
    {
        return User::query()->create(['name' => 'Ada', 'email' => $email, 'password' => $password]);
    }

    public function test_registering_creates_the_user_and_logs_them_in(): void
    {
        $response = $this->postJson('/api/auth/register', [
            'name' => 'Grace', 'email' => 'grace@example.test', 'password' => 'long-enough-1',
        ]);

        $response->assertCreated()->assertJsonPath('data.email', 'grace@example.test')->assertJsonMissingPath('data.password');
        $cookie = $this->sessionCookie($response);
        $this->anotherReplica();
        $this->asBrowser($cookie)->getJson('/api/auth/me')->assertOk()->assertJsonPath('data.email', 'grace@example.test');
    }

    public function test_registering_validates_the_input(): void
    {
        $this->user('taken@example.test');
        $this->postJson('/api/auth/register', ['name' => '', 'email' => 'taken@example.test', 'password' => 'short'])
            ->assertStatus(422)->assertJsonValidationErrors(['name', 'email', 'password']);
    }

    /** Found by the API fuzzing (tests/container/test_api_fuzzing.py): register answered 500, login matched. */
    public function test_a_password_with_a_nul_byte_is_a_field_error_never_a_500_or_a_login_with_the_part_before_it(): void
    {
        $this->postJson('/api/auth/register', ['name' => 'Nul', 'email' => 'nul@example.test', 'password' => "long-enough-1\0x"])
            ->assertStatus(422)->assertJsonValidationErrors(['password']);
        $this->assertDatabaseMissing('users', ['email' => 'nul@example.test']);

        // bcrypt reads a password up to its NUL: without the rule "correct-horse-1\0anything" logs in
        $this->user();
        $refused = $this->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => "correct-horse-1\0anything"]);
        $refused->assertStatus(422)->assertJsonValidationErrors(['password']);
        $this->anotherReplica();
        $this->asBrowser($this->sessionCookie($refused))->getJson('/api/auth/me')->assertUnauthorized();
        $this->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => 'correct-horse-1'])->assertOk();
    }

    public function test_a_login_stores_the_session_in_redis_and_me_returns_the_user(): void
    {
        $this->user();
        $this->assertSame([], $this->redisSessionKeys());

        $login = $this->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => 'correct-horse-1']);

        $login->assertOk()->assertJsonPath('data.email', 'ada@example.test');
        $cookie = $login->getCookie(config('session.cookie'), false);
        $this->assertTrue($cookie->isHttpOnly());
        $this->assertSame('lax', strtolower((string) $cookie->getSameSite()));
        $this->assertCount(1, $this->redisSessionKeys(), 'exactly one session key in Redis after login');
        $this->anotherReplica();
        $this->asBrowser($this->sessionCookie($login))->getJson('/api/auth/me')->assertOk()->assertJsonPath('data.name', 'Ada');
    }

    public function test_a_session_created_on_one_replica_is_valid_on_another(): void
    {
        $this->user();
        $cookie = $this->sessionCookie($this->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => 'correct-horse-1']));

        $this->anotherReplica(); // a new application instance: nothing shared but Redis and MariaDB

        $this->asBrowser($cookie)->getJson('/api/auth/me')->assertOk()->assertJsonPath('data.email', 'ada@example.test');
    }

    public function test_logout_invalidates_the_session_on_every_replica(): void
    {
        $this->user();
        $login = $this->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => 'correct-horse-1']);
        $cookie = $this->sessionCookie($login);
        $xsrf = (string) $login->getCookie('XSRF-TOKEN', false)?->getValue();
        $this->assertCount(1, $this->redisSessionKeys());

        $this->anotherReplica();
        $this->asBrowser($cookie)->withHeader('X-XSRF-TOKEN', $xsrf)->postJson('/api/auth/logout')->assertOk();

        $this->anotherReplica();
        $this->asBrowser($cookie)->getJson('/api/auth/me')->assertUnauthorized()->assertJsonStructure(['message']);
        foreach ($this->redisSessionKeys() as $key) {
            $this->assertStringNotContainsString('login_web', (string) Redis::connection()->client()->get($key));
        }
    }

    public function test_a_wrong_password_is_a_401_and_sets_no_login(): void
    {
        $this->user();
        $response = $this->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => 'wrong-password']);

        $response->assertUnauthorized()->assertJsonStructure(['message']);
        $cookie = $this->sessionCookie($response);
        $this->anotherReplica();
        $this->asBrowser($cookie)->getJson('/api/auth/me')->assertUnauthorized();
    }

    public function test_me_without_a_session_is_a_401_json_error(): void
    {
        $this->getJson('/api/auth/me')->assertUnauthorized()->assertJsonStructure(['message']);
        $this->get('/api/auth/me')->assertUnauthorized()->assertHeader('Content-Type', 'application/json');
    }

    public function test_repeated_failed_logins_are_throttled_with_429(): void
    {
        $this->user();
        $max = (int) config('auth.login_max_attempts');
        foreach (range(1, $max) as $attempt) {
            $this->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => "wrong-{$attempt}"])->assertUnauthorized();
        }

        $throttled = $this->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => 'correct-horse-1']);

        $throttled->assertStatus(429)->assertJsonStructure(['message']);
        $this->assertGreaterThan(0, (int) $throttled->headers->get('Retry-After'));
    }

    public function test_login_throttling_counts_per_client_behind_the_trusted_proxy(): void
    {
        $this->user();
        $max = (int) config('auth.login_max_attempts');
        $viaProxy = fn (string $client) => ['REMOTE_ADDR' => '127.0.0.1', 'HTTP_X_FORWARDED_FOR' => $client];
        foreach (range(1, $max) as $attempt) {
            $this->withServerVariables($viaProxy('203.0.113.7'))
                ->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => "wrong-{$attempt}"])->assertUnauthorized();
        }

        $this->withServerVariables($viaProxy('203.0.113.7'))
            ->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => 'correct-horse-1'])->assertStatus(429);
        $this->withServerVariables($viaProxy('198.51.100.20'))
            ->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => 'correct-horse-1'])->assertOk();
        // a peer that is not a trusted proxy cannot pick its address with the header: claiming the
        // throttled client's address does not make its request count as that client's
        $this->withServerVariables(['REMOTE_ADDR' => '192.0.2.50', 'HTTP_X_FORWARDED_FOR' => '203.0.113.7'])
            ->postJson('/api/auth/login', ['email' => 'ada@example.test', 'password' => 'correct-horse-1'])->assertOk();
    }

    public function test_a_state_changing_request_without_json_is_refused_as_a_csrf_defence(): void
    {
        $this->user();
        // what a cross-site HTML form can send: urlencoded, no X-Requested-With
        $this->post('/api/auth/login', ['email' => 'ada@example.test', 'password' => 'correct-horse-1'], ['Accept' => 'application/json'])
            ->assertStatus(415);
        $this->assertSame([], $this->redisSessionKeys());
    }

    public function test_login_csrf_is_refused_whatever_body_a_cross_site_page_can_send_without_a_preflight(): void
    {
        $this->user();
        $login = json_encode(['email' => 'ada@example.test', 'password' => 'correct-horse-1']);
        $register = json_encode(['name' => 'Planted', 'email' => 'planted@example.test', 'password' => 'long-enough-1']);
        // the content types of an HTML form (and of a no-cors fetch): JSON text under text/plain too
        foreach (['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain'] as $type) {
            foreach (['/api/auth/login' => $login, '/api/auth/register' => $register] as $path => $body) {
                $this->call('POST', $path, [], [], [], ['CONTENT_TYPE' => $type, 'HTTP_ACCEPT' => 'application/json'], $body)
                    ->assertStatus(415);
            }
        }

        $this->assertSame([], $this->redisSessionKeys(), 'no session was started: nobody was logged in');
        $this->assertSame(0, User::query()->where('email', 'planted@example.test')->count());
        // the same bodies as JSON are what the API's own client sends
        $this->postJson('/api/auth/login', json_decode($login, true))->assertOk();
    }
}
