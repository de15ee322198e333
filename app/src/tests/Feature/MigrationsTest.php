<?php

namespace Tests\Feature;

use App\Models\Task;
use App\Models\User;
use Illuminate\Support\Facades\Artisan;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Schema;
use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

#[Group('migrations')]
class MigrationsTest extends TestCase
{
    /** How many migrations `$name` and the ones after it are: the --step that rolls back to before it. */
    private function migrationsFrom(string $name): int
    {
        $this->assertFileExists(database_path("migrations/{$name}.php"));

        return count(array_filter(glob(database_path('migrations/*.php')), fn (string $f) => strcmp(basename($f, '.php'), $name) >= 0));
    }

    public function test_every_migration_has_run_and_created_its_tables(): void
    {
        Artisan::call('migrate:status');
        $status = Artisan::output();

        $files = glob(database_path('migrations/*.php'));
        $this->assertNotEmpty($files);
        foreach ($files as $file) {
            $this->assertMatchesRegularExpression('/'.preg_quote(basename($file, '.php'), '/').'\s*\.+\s*\[\d+\] Ran/', $status);
        }
        foreach (['users', 'tasks', 'job_runs', 'failed_jobs', 'attachments', 'migrations'] as $table) {
            $this->assertTrue(Schema::hasTable($table), "table {$table}");
        }
        $this->assertTrue(Schema::hasColumns('tasks', ['user_id', 'title', 'description', 'status', 'priority', 'due_on']));
        $this->assertTrue(Schema::hasColumns('job_runs', ['user_id', 'idempotency_key', 'completions']));
    }

    #[Group('api-crud')]
    public function test_adding_the_owner_keeps_existing_tasks_and_job_runs_valid(): void
    {
        // the owner migration and those after it, whatever batches earlier tests made
        $this->artisan('migrate:rollback', ['--step' => $this->migrationsFrom('2024_01_01_000400_add_owner_to_tasks_and_job_runs'), '--force' => true])->assertExitCode(0);
        $this->assertFalse(Schema::hasTable('attachments'));
        $this->assertFalse(Schema::hasColumn('tasks', 'user_id'));
        // rows of the release before ownership
        $taskId = DB::table('tasks')->insertGetId(['title' => 'from before owners', 'status' => 'todo', 'priority' => 'normal']);
        DB::table('job_runs')->insert(['id' => '00000000-0000-0000-0000-000000000001', 'status' => 'succeeded', 'attempts' => 1]);

        $this->artisan('migrate', ['--force' => true])->assertExitCode(0);

        $this->assertSame(1, DB::table('tasks')->count());
        $this->assertNull(DB::table('tasks')->where('id', $taskId)->value('user_id'));
        $this->assertNull(DB::table('job_runs')->value('user_id'));
        // the owner column is indexed and a real foreign key: a task cannot name a missing user
        $indexes = array_column(DB::select('SHOW INDEX FROM tasks'), 'Column_name', 'Key_name');
        $this->assertSame('user_id', $indexes['tasks_user_id_index'] ?? null);
        $this->expectException(\Illuminate\Database\QueryException::class);
        DB::table('tasks')->insert(['title' => 'orphan', 'status' => 'todo', 'priority' => 'normal', 'user_id' => 999999]);
    }

    #[Group('api-crud')]
    public function test_deleting_a_user_deletes_their_tasks_and_job_runs(): void
    {
        $gone = $this->newUser('Gone');
        $kept = $this->newUser('Kept');
        $gone->tasks()->create(['title' => 'goes with its owner']);
        $kept->tasks()->create(['title' => 'stays']);
        $gone->jobRuns()->create(['status' => 'queued', 'attempts' => 0]);

        $gone->delete();

        $this->assertSame(['stays'], Task::query()->pluck('title')->all());
        $this->assertSame(0, DB::table('job_runs')->count());
    }

    public function test_migrating_again_is_a_no_op(): void
    {
        Task::query()->create(['title' => 'survives a second migrate']);

        $this->artisan('migrate', ['--force' => true])->expectsOutputToContain('Nothing to migrate')->assertExitCode(0);

        $this->assertSame(1, Task::query()->count());
    }

    public function test_migrations_roll_back_and_apply_again(): void
    {
        $this->artisan('migrate:rollback', ['--step' => $this->migrationsFrom('2024_01_01_000200_create_job_runs_table'), '--force' => true])->assertExitCode(0);
        $this->assertFalse(Schema::hasTable('attachments'));
        $this->assertFalse(Schema::hasTable('failed_jobs'));
        $this->assertFalse(Schema::hasTable('job_runs'));
        $this->assertTrue(Schema::hasTable('tasks'));

        $this->artisan('migrate', ['--force' => true])->assertExitCode(0);

        $this->assertTrue(Schema::hasTable('failed_jobs'));
        $this->assertTrue(Schema::hasTable('job_runs'));
        $this->assertTrue(Schema::hasTable('attachments'));
    }

    public function test_seeding_is_idempotent(): void
    {
        config(['seed.demo_password' => 'demo-password-for-this-test']);
        $this->artisan('db:seed', ['--force' => true])->assertExitCode(0);
        $users = User::query()->count();
        $tasks = Task::query()->count();
        $this->assertSame(1, $users);
        $this->assertGreaterThan(0, $tasks);
        $this->assertSame($tasks, User::query()->firstOrFail()->tasks()->count(), 'the demo tasks belong to the demo user');

        $this->artisan('db:seed', ['--force' => true])->assertExitCode(0);

        $this->assertSame($users, User::query()->count());
        $this->assertSame($tasks, Task::query()->count());
    }

    public function test_seeding_without_a_demo_password_creates_no_account(): void
    {
        config(['seed.demo_password' => '']);

        $this->artisan('db:seed', ['--force' => true])->assertExitCode(0);

        $this->assertSame(0, User::query()->count());
        $this->assertSame(0, Task::query()->count(), 'tasks belong to a user: none without the demo account');
    }
}
