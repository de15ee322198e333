<?php

namespace Database\Seeders;

use App\Models\Task;
use App\Models\User;
use Illuminate\Database\Seeder;

/**
 * Demo data, idempotent (safe to run on every deploy): a demo user and a few tasks they own, when
 * SEED_DEMO_PASSWORD is set (from a Secret; no password is baked into the code or the image).
 * Without it nothing is seeded: tasks belong to a user, and ownerless ones are visible to nobody.
 * No Faker: production images do not ship dev packages.
 */
class DatabaseSeeder extends Seeder
{
    public function run(): void
    {
        $password = (string) config('seed.demo_password');
        if ($password === '') {
            return;
        }
        $demo = User::query()->firstOrCreate(
            ['email' => config('seed.demo_email')],
            ['name' => 'Demo User', 'password' => $password],
        );

        foreach ([
            ['title' => 'Deploy the FPM variant', 'status' => 'done', 'priority' => 'high'],
            ['title' => 'Deploy the Swoole variant', 'status' => 'doing', 'priority' => 'high'],
            ['title' => 'Compare p95 under load', 'status' => 'todo', 'priority' => 'normal'],
        ] as $task) {
            $demo->tasks()->firstOrCreate(['title' => $task['title']], $task);
        }
    }
}
