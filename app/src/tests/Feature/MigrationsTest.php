<?php

namespace Tests\Feature;

use App\Models\Task;
use App\Models\User;
use Illuminate\Support\Facades\Artisan;
use Illuminate\Support\Facades\Schema;
use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

#[Group('migrations')]
class MigrationsTest extends TestCase
{
    public function test_every_migration_has_run_and_created_its_tables(): void
    {
        Artisan::call('migrate:status');
        $status = Artisan::output();

        $files = glob(database_path('migrations/*.php'));
        $this->assertNotEmpty($files);
        foreach ($files as $file) {
            $this->assertMatchesRegularExpression('/'.preg_quote(basename($file, '.php'), '/').'\s*\.+\s*\[\d+\] Ran/', $status);
        }
        foreach (['users', 'tasks', 'job_runs', 'failed_jobs', 'migrations'] as $table) {
            $this->assertTrue(Schema::hasTable($table), "table {$table}");
        }
        $this->assertTrue(Schema::hasColumns('tasks', ['title', 'description', 'status', 'priority', 'due_on']));
    }

    public function test_migrating_again_is_a_no_op(): void
    {
        Task::query()->create(['title' => 'survives a second migrate']);

        $this->artisan('migrate', ['--force' => true])->expectsOutputToContain('Nothing to migrate')->assertExitCode(0);

        $this->assertSame(1, Task::query()->count());
    }

    public function test_migrations_roll_back_and_apply_again(): void
    {
        $this->artisan('migrate:rollback', ['--step' => 2, '--force' => true])->assertExitCode(0);
        $this->assertFalse(Schema::hasTable('failed_jobs'));
        $this->assertFalse(Schema::hasTable('job_runs'));
        $this->assertTrue(Schema::hasTable('tasks'));

        $this->artisan('migrate', ['--force' => true])->assertExitCode(0);

        $this->assertTrue(Schema::hasTable('failed_jobs'));
        $this->assertTrue(Schema::hasTable('job_runs'));
    }

    public function test_seeding_is_idempotent(): void
    {
        config(['seed.demo_password' => 'demo-password-for-this-test']);
        $this->artisan('db:seed', ['--force' => true])->assertExitCode(0);
        $users = User::query()->count();
        $tasks = Task::query()->count();
        $this->assertSame(1, $users);
        $this->assertGreaterThan(0, $tasks);

        $this->artisan('db:seed', ['--force' => true])->assertExitCode(0);

        $this->assertSame($users, User::query()->count());
        $this->assertSame($tasks, Task::query()->count());
    }

    public function test_seeding_without_a_demo_password_creates_no_account(): void
    {
        config(['seed.demo_password' => '']);

        $this->artisan('db:seed', ['--force' => true])->assertExitCode(0);

        $this->assertSame(0, User::query()->count());
        $this->assertGreaterThan(0, Task::query()->count());
    }
}
