<?php

namespace Tests;

use App\Models\User;
use Illuminate\Contracts\Console\Kernel;
use Illuminate\Foundation\Application;
use Illuminate\Foundation\Testing\TestCase as BaseTestCase;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Redis;

/**
 * Feature tests run against the real MariaDB and Redis that the suite started (DB_HOST,
 * REDIS_HOST). The schema is migrated once per run; each test starts from empty tables and an
 * empty Redis database, without wrapping the test in a transaction, so a test may boot a second
 * application instance (another "replica") that sees the same data.
 */
abstract class TestCase extends BaseTestCase
{
    private static bool $migrated = false;

    /** @var list<string> */
    protected array $truncate = ['tasks', 'users', 'job_runs', 'failed_jobs'];

    public function createApplication(): Application
    {
        $app = require __DIR__.'/../bootstrap/app.php';
        $app->make(Kernel::class)->bootstrap();

        return $app;
    }

    /** @var array{0: callable|null, 1: callable|null}|null error and exception handler before the app booted */
    private ?array $outerHandlers = null;

    protected function setUp(): void
    {
        $this->outerHandlers = [self::currentErrorHandler(), self::currentExceptionHandler()];
        parent::setUp();
        if (! self::$migrated) {
            $this->artisan('migrate:fresh', ['--force' => true])->assertExitCode(0);
            self::$migrated = true;
        }
        DB::statement('SET FOREIGN_KEY_CHECKS=0');
        foreach ($this->truncate as $table) {
            DB::table($table)->truncate();
        }
        DB::statement('SET FOREIGN_KEY_CHECKS=1');
        Redis::connection('default')->command('flushdb');
        Redis::connection('cache')->command('flushdb');
        $this->app->make(\App\Metrics\Registry::class)->wipe();
    }

    protected function tearDown(): void
    {
        parent::tearDown();
        if ($this->outerHandlers === null) {
            return; // skipped before setUp ran: nothing was pushed
        }
        // Laravel 10's HandleExceptions never pops the handlers it pushes; PHPUnit 11 (Debian's)
        // flags that as risky. Pop back to the handlers PHPUnit had installed (Laravel 11 does the same).
        [$error, $exception] = $this->outerHandlers;
        while (($current = self::currentErrorHandler()) !== null && $current !== $error) {
            restore_error_handler();
        }
        while (($current = self::currentExceptionHandler()) !== null && $current !== $exception) {
            restore_exception_handler();
        }
    }

    private static function currentErrorHandler(): ?callable
    {
        $handler = set_error_handler(static fn () => false);
        restore_error_handler();

        return $handler;
    }

    private static function currentExceptionHandler(): ?callable
    {
        $handler = set_exception_handler(static fn () => null);
        restore_exception_handler();

        return $handler;
    }

    /** A second application instance: what another replica behind the Service would be. */
    protected function anotherReplica(): void
    {
        $this->refreshApplication();
    }

    /** Password of every user made by newUser(). */
    protected const PASSWORD = 'correct-horse-1';

    /** @var array<int, array{session: string, xsrf: string, csrf: string}> per user id, from loginAs() */
    private array $browsers = [];

    protected function newUser(string $name = 'Ada'): User
    {
        return User::query()->create([
            'name' => $name, 'email' => strtolower($name).'-'.bin2hex(random_bytes(4)).'@example.test', 'password' => self::PASSWORD,
        ]);
    }

    /**
     * The next requests come from `$user`'s browser: a real login through POST /api/auth/login
     * (the session lives in Redis), then only its session cookie and, as axios does, the
     * XSRF-TOKEN cookie echoed in X-XSRF-TOKEN. Each identity switch starts a fresh application
     * instance, so nothing but the cookie, Redis and MariaDB carries who is calling.
     */
    protected function loginAs(User $user): static
    {
        if (! isset($this->browsers[$user->id])) {
            $login = $this->asGuest()->postJson('/api/auth/login', ['email' => $user->email, 'password' => self::PASSWORD]);
            $login->assertOk();
            $this->browsers[$user->id] = [
                'session' => (string) $login->getCookie(config('session.cookie'), false)?->getValue(),
                'xsrf' => (string) $login->getCookie('XSRF-TOKEN', false)?->getValue(),
                'csrf' => (string) $login->json('meta.csrf_token'),
            ];
            $this->assertNotSame('', $this->browsers[$user->id]['session'], 'the login set the session cookie');
            $this->assertNotSame('', $this->browsers[$user->id]['xsrf'], 'the login set the XSRF-TOKEN cookie');
        }

        return $this->withSessionOf($user)->withHeader('X-XSRF-TOKEN', $this->browsers[$user->id]['xsrf']);
    }

    /** `$user`'s session cookie alone (logged in with loginAs() before), without any CSRF token. */
    protected function withSessionOf(User $user): static
    {
        $this->assertArrayHasKey($user->id, $this->browsers, 'loginAs() this user first');

        return $this->asGuest()->withCredentials()
            ->withUnencryptedCookie(config('session.cookie'), $this->browsers[$user->id]['session']);
    }

    /** The plain CSRF token of `$user`'s session (meta.csrf_token of the login response). */
    protected function csrfTokenOf(User $user): string
    {
        return $this->browsers[$user->id]['csrf'];
    }

    /** The next requests come from a client without cookies or tokens, served by a fresh application instance. */
    protected function asGuest(): static
    {
        $this->anotherReplica();
        $this->defaultHeaders = [];
        $this->defaultCookies = [];
        $this->unencryptedCookies = [];
        $this->withCredentials = false;

        return $this;
    }
}
