<?php

namespace Tests\Octane;

use App\Octane\WorkerStats;
use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

/**
 * The readiness rule under Octane, as plain arithmetic over Server::stats() and the `workers`
 * table (no Swoole needed): saturated once every HTTP worker other than the answering one has been
 * on one request for longer than the threshold.
 */
#[Group('laravel-health-checks')]
class WorkerStatsTest extends TestCase
{
    protected array $truncate = [];

    private const STATS = ['worker_num' => 3, 'idle_worker_num' => 0, 'task_worker_num' => 1, 'task_idle_worker_num' => 1,
        'tasking_num' => 0, 'connection_num' => 5, 'request_count' => 42];

    public function test_every_other_worker_busy_longer_than_the_threshold_is_saturated(): void
    {
        $rows = [0 => ['busy_since' => 100.0], 1 => ['busy_since' => 0.0], 2 => ['busy_since' => 95.0]];

        $stats = WorkerStats::evaluate(self::STATS, $rows, 1, 111.0, 10.0);

        $this->assertTrue($stats['saturated']);
        $this->assertSame(2, $stats['other_workers_busy_too_long']);
        $this->assertSame(16.0, $stats['longest_busy_s']);
        $this->assertEquals(['workers' => 3, 'idle' => 0, 'busy' => 3, 'connections' => 5, 'tasking' => 0],
            array_intersect_key($stats, array_flip(['workers', 'idle', 'busy', 'connections', 'tasking'])));
    }

    public function test_one_other_worker_idle_or_busy_for_less_than_the_threshold_is_not_saturated(): void
    {
        $idle = [0 => ['busy_since' => 100.0], 2 => ['busy_since' => 0.0]];
        $recent = [0 => ['busy_since' => 100.0], 2 => ['busy_since' => 105.0]];

        $this->assertFalse(WorkerStats::evaluate(self::STATS, $idle, 1, 111.0, 10.0)['saturated']);
        $this->assertFalse(WorkerStats::evaluate(self::STATS, $recent, 1, 111.0, 10.0)['saturated']);
    }

    public function test_a_single_worker_answering_the_probe_is_never_saturated(): void
    {
        $stats = WorkerStats::evaluate(['worker_num' => 1, 'idle_worker_num' => 0], [0 => ['busy_since' => 1.0]], 0, 500.0, 10.0);

        $this->assertFalse($stats['saturated'], 'the answering worker is busy answering, not saturated');
    }

    public function test_outside_a_swoole_server_there_are_no_worker_stats(): void
    {
        $this->assertNull($this->app->make(WorkerStats::class)->snapshot());
        $this->assertArrayNotHasKey('workers', $this->getJson('/health')->json());
    }
}
