<?php

namespace Database\Seeders;

use App\Models\Task;
use App\Models\User;
use Illuminate\Database\Seeder;

/**
 * Demo data, idempotent (safe to run on every deploy): a few tasks, and a demo user when
 * SEED_DEMO_PASSWORD is set (from a Secret; no password is baked into the code or the image).
 * No Faker: production images do not ship dev packages.
 */
class DatabaseSeeder extends Seeder
{
    public function run(): void
    {
        $password = (string) config('seed.demo_password');
        if ($password !== '') {
            User::query()->firstOrCreate(
                ['email' => config('seed.demo_email')],
                ['name' => 'Demo User', 'password' => $password],
            );
        }

        foreach ([
            ['title' => 'Deploy the FPM variant', 'status' => 'done', 'priority' => 'high'],
            ['title' => 'Deploy the Swoole variant', 'status' => 'doing', 'priority' => 'high'],
            ['title' => 'Compare p95 under load', 'status' => 'todo', 'priority' => 'normal'],
        ] as $task) {
            Task::query()->firstOrCreate(['title' => $task['title']], $task);
        }
    }
}
