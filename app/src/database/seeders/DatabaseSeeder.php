<?php

namespace Database\Seeders;

use App\Models\Task;
use App\Models\User;
use Illuminate\Database\Seeder;

/**
 * Demo data, idempotent (safe to run on every deploy): one demo user and a few tasks. No Faker:
 * production images do not ship dev packages.
 */
class DatabaseSeeder extends Seeder
{
    public function run(): void
    {
        User::query()->firstOrCreate(
            ['email' => config('seed.demo_email')],
            ['name' => 'Demo User', 'password' => config('seed.demo_password')],
        );

        foreach ([
            ['title' => 'Deploy the FPM variant', 'status' => 'done', 'priority' => 'high'],
            ['title' => 'Deploy the Swoole variant', 'status' => 'doing', 'priority' => 'high'],
            ['title' => 'Compare p95 under load', 'status' => 'todo', 'priority' => 'normal'],
        ] as $task) {
            Task::query()->firstOrCreate(['title' => $task['title']], $task);
        }
    }
}
