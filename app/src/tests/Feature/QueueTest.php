<?php

namespace Tests\Feature;

use App\Jobs\GenerateReport;
use App\Models\JobRun;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Queue;
use Illuminate\Support\Facades\Redis;
use PHPUnit\Framework\Attributes\Group;
use Tests\Feature\Concerns\RunsTheQueueWorker;
use Tests\TestCase;

#[Group('queue-redis')]
class QueueTest extends TestCase
{
    use RunsTheQueueWorker;

    protected function setUp(): void
    {
        parent::setUp();
        $this->loginAs($this->newUser());
    }

    public function test_a_job_dispatched_through_the_api_waits_in_redis_until_a_worker_runs_it(): void
    {
        $response = $this->postJson('/api/jobs', ['numbers' => [1, 2, 3.5]]);

        $response->assertStatus(202)->assertJsonPath('data.status', 'queued');
        $id = $response->json('data.id');
        $this->assertSame("/api/jobs/{$id}", $response->headers->get('Location'));
        $this->assertSame(1, Queue::connection('redis')->size('default'));
        $payload = $this->pendingPayload();
        $this->assertSame(GenerateReport::class, $payload['displayName']);
        $this->assertSame(5, $payload['maxTries'], 'deliveries, a killed attempt included (QUEUE_TRIES)');
        $this->assertSame(3, $payload['maxExceptions'], 'attempts that threw (QUEUE_MAX_EXCEPTIONS)');

        $this->workOnce();

        $this->getJson("/api/jobs/{$id}")->assertOk()
            ->assertJsonPath('data.status', 'succeeded')
            ->assertJsonPath('data.attempts', 1)
            ->assertJsonPath('data.completions', 1)
            ->assertJsonPath('data.idempotency_key', null)
            ->assertJsonPath('data.result.count', 3)
            ->assertJsonPath('data.result.sum', 6.5);
        $this->assertSame(0, Queue::connection('redis')->size('default'));
    }

    public function test_a_failing_job_is_retried_and_then_succeeds(): void
    {
        $id = $this->postJson('/api/jobs', ['numbers' => [4], 'fail_attempts' => 1])->assertStatus(202)->json('data.id');

        $this->workOnce();
        $this->assertSame(JobRun::RETRYING, JobRun::query()->findOrFail($id)->status);
        $this->assertSame(1, Queue::connection('redis')->size('default'), 'released back onto the queue');

        $this->workOnce();
        $this->getJson("/api/jobs/{$id}")->assertJsonPath('data.status', 'succeeded')->assertJsonPath('data.attempts', 2);
        $this->assertSame(0, DB::table('failed_jobs')->count());
    }

    public function test_a_job_that_keeps_failing_is_recorded_in_failed_jobs_after_its_max_exceptions(): void
    {
        $id = $this->postJson('/api/jobs', ['numbers' => [4], 'fail_attempts' => 10])->assertStatus(202)->json('data.id');

        foreach (range(1, (int) config('queue.max_exceptions')) as $attempt) {
            $this->assertSame(0, DB::table('failed_jobs')->count(), "in failed_jobs before attempt {$attempt}");
            $this->workOnce();
        }

        $this->getJson("/api/jobs/{$id}")->assertOk()
            ->assertJsonPath('data.status', 'failed')
            ->assertJsonPath('data.attempts', 3)
            ->assertJsonPath('data.completions', 0);
        $this->assertStringContainsString('failed on purpose', (string) JobRun::query()->findOrFail($id)->error);
        $failed = DB::table('failed_jobs')->get();
        $this->assertCount(1, $failed);
        $this->assertSame('default', $failed[0]->queue);
        $this->assertStringContainsString($id, $failed[0]->payload);
        $this->assertSame(0, Queue::connection('redis')->size('default'));
    }

    public function test_the_retry_backoff_comes_from_the_configuration(): void
    {
        config(['queue.backoff' => [5, 30]]);
        $this->assertSame([5, 30], (new GenerateReport('x'))->backoff());

        $id = $this->postJson('/api/jobs', ['numbers' => [1], 'fail_attempts' => 1])->json('data.id');
        $this->workOnce();

        // released with a delay: waiting in the delayed set, not runnable yet
        $this->assertSame(1, (int) Redis::connection()->command('zcard', ['queues:default:delayed']));
        $this->workOnce();
        $this->assertSame(JobRun::RETRYING, JobRun::query()->findOrFail($id)->status);
    }

    public function test_an_invalid_job_request_is_a_422_and_an_unknown_job_a_404(): void
    {
        $this->postJson('/api/jobs', ['numbers' => 'many'])->assertStatus(422)->assertJsonValidationErrors(['numbers']);
        $this->postJson('/api/jobs', ['numbers' => [1], 'fail_attempts' => 99])->assertStatus(422);
        $this->getJson('/api/jobs/00000000-0000-0000-0000-000000000000')->assertNotFound()->assertJsonStructure(['message']);
        $this->assertSame(0, Queue::connection('redis')->size('default'));
    }
}
