<?php

namespace Tests;

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
}
