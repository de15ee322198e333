<?php

namespace Tests\Feature\Concerns;

use Illuminate\Support\Facades\Redis;

/** The real worker (`queue:work`) against the Redis queue, one job at a time, and what waits in it. */
trait RunsTheQueueWorker
{
    /**
     * One iteration of a real worker (`queue:work --once`) against the Redis queue, then a fresh
     * application, as the next worker process would have (the command registers its event
     * listeners on the application each time it runs).
     *
     * @param  array<string, mixed>  $config  set on the worker's application first (a fresh one: the queue connection is not resolved yet)
     */
    private function workOnce(array $config = []): void
    {
        if ($config !== []) {
            $this->refreshApplication();
            config($config);
        }
        $this->artisan('queue:work', ['connection' => 'redis', '--once' => true, '--sleep' => 0])->assertExitCode(0);
        $this->refreshApplication();
    }

    /** @return array<string, mixed> */
    private function pendingPayload(): array
    {
        $raw = Redis::connection()->command('lindex', ['queues:default', 0]);
        $this->assertIsString($raw, 'a job is waiting in the Redis list queues:default');

        return json_decode($raw, true);
    }
}
