<?php

namespace Tests\Feature;

use Illuminate\Support\Facades\DB;
use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

#[Group('laravel-health-checks')]
class HealthTest extends TestCase
{
    private const CHECKS = ['database', 'redis', 'cache', 'queue', 'migrations', 'draining'];

    /** A TCP port on this host where nothing listens: connection refused at once. */
    private const DEAD_PORT = 1;

    protected function tearDown(): void
    {
        @unlink((string) config('app.drain_file'));
        parent::tearDown();
    }

    public function test_health_answers_200_without_touching_database_or_redis(): void
    {
        $queries = 0;
        DB::listen(function () use (&$queries) {
            $queries++;
        });
        // both dependencies unreachable, nothing connected yet: liveness must not care
        config([
            'database.connections.mysql.port' => self::DEAD_PORT,
            'database.redis.default.port' => self::DEAD_PORT,
            'database.redis.cache.port' => self::DEAD_PORT,
        ]);
        DB::purge('mysql');
        foreach (['redis', 'cache', 'cache.store', 'queue', 'metrics.storage.shared'] as $service) {
            $this->app->forgetInstance($service);
        }

        $this->getJson('/health')->assertOk()->assertJsonPath('status', 'ok');
        $this->assertSame(0, $queries);
    }

    public function test_ready_answers_200_with_every_check_passing(): void
    {
        $response = $this->getJson('/ready');

        $response->assertOk()->assertJsonPath('status', 'ok');
        foreach (self::CHECKS as $check) {
            $response->assertJsonPath("checks.{$check}.ok", true);
            $this->assertIsNumeric($response->json("checks.{$check}.ms"));
        }
        $this->assertGreaterThanOrEqual(4, $response->json('checks.migrations.detail.applied'));
    }

    public function test_ready_is_503_with_the_redis_checks_failing_when_redis_is_unreachable(): void
    {
        config(['database.redis.default.port' => self::DEAD_PORT, 'database.redis.cache.port' => self::DEAD_PORT]);
        foreach (['redis', 'cache', 'cache.store', 'queue', 'metrics.storage.shared'] as $service) {
            $this->app->forgetInstance($service);
        }

        $response = $this->getJson('/ready');

        $response->assertStatus(503)->assertJsonPath('status', 'fail')
            ->assertJsonPath('checks.redis.ok', false)
            ->assertJsonPath('checks.cache.ok', false)
            ->assertJsonPath('checks.queue.ok', false)
            ->assertJsonPath('checks.database.ok', true);
        $this->assertNotEmpty($response->json('checks.redis.error'));
    }

    public function test_ready_is_503_when_the_database_is_unreachable(): void
    {
        config(['database.connections.mysql.port' => self::DEAD_PORT]);
        DB::purge('mysql');

        $this->getJson('/ready')->assertStatus(503)
            ->assertJsonPath('checks.database.ok', false)
            ->assertJsonPath('checks.migrations.ok', false)
            ->assertJsonPath('checks.redis.ok', true);
    }

    public function test_ready_is_503_while_a_migration_is_pending(): void
    {
        $this->artisan('migrate:rollback', ['--step' => 1, '--force' => true])->assertExitCode(0);
        try {
            $response = $this->getJson('/ready');
            $response->assertStatus(503)->assertJsonPath('checks.migrations.ok', false);
            $this->assertStringContainsString('1 pending migration', (string) $response->json('checks.migrations.error'));
        } finally {
            $this->artisan('migrate', ['--force' => true])->assertExitCode(0);
        }
        $this->getJson('/ready')->assertOk();
    }

    public function test_the_drain_switch_turns_ready_to_503_and_back(): void
    {
        $this->artisan('app:drain')->assertExitCode(0);
        $this->getJson('/ready')->assertStatus(503)->assertJsonPath('checks.draining.ok', false);
        $this->getJson('/health')->assertOk();

        $this->artisan('app:drain', ['--off' => true])->assertExitCode(0);
        $this->getJson('/ready')->assertOk()->assertJsonPath('checks.draining.ok', true);
    }
}
