<?php

namespace Tests\Feature;

use App\Jobs\GenerateReport;
use App\Models\JobRun;
use App\Models\User;
use Illuminate\Contracts\Queue\Job;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Queue;
use Illuminate\Support\Facades\Redis;
use Illuminate\Support\Str;
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\Attributes\Group;
use Tests\Feature\Concerns\RunsTheQueueWorker;
use Tests\TestCase;

/**
 * POST /api/jobs with an Idempotency-Key makes one run however often it is sent; a job the Redis
 * queue delivers again (its worker died before the ack) applies its effect once; `work_ms` makes
 * a job last long enough to kill its worker. A worker "dies" here by reserving a job (pop) and
 * never acknowledging it; the next worker gets it once retry_after has passed (the clock moved by
 * travel(), the reservation's score is a Unix time).
 */
#[Group('queue-redis')]
class ExactlyOnceJobTest extends TestCase
{
    use RunsTheQueueWorker;

    private const BODY = ['numbers' => [2, 3, 5]];

    private User $user;

    protected function setUp(): void
    {
        parent::setUp();
        $this->user = $this->newUser();
        $this->loginAs($this->user);
    }

    /**
     * A worker takes the next job off the queue (the reservation) and dies before acknowledging
     * it: with `$effect`, after handle() ran; otherwise mid-job, the run marked running by the
     * start of handle() as far as the database can tell.
     */
    private function reserveAndDie(bool $effect = false): void
    {
        $job = Queue::connection('redis')->pop('default');
        $this->assertInstanceOf(Job::class, $job, 'a job was waiting');
        $command = unserialize($job->payload()['data']['command']);
        $this->assertInstanceOf(GenerateReport::class, $command);
        if ($effect) {
            // the job's handle() as the worker calls it, without what follows (fire() would also delete it: the ack)
            $command->setJob($job);
            $this->app->call([$command, 'handle']);
        } else {
            JobRun::query()->whereKey($command->runId)->where('status', '!=', JobRun::SUCCEEDED)
                ->update(['status' => JobRun::RUNNING, 'attempts' => $job->attempts(), 'worker' => 'killed-worker:1']);
        }
        // no delete(), no release(): the process is gone; its application with it
        $this->refreshApplication();
    }

    private function reserved(): int
    {
        return (int) Redis::connection()->command('zcard', ['queues:default:reserved']);
    }

    private function postJob(array $body, ?string $key = null): \Illuminate\Testing\TestResponse
    {
        return $this->postJson('/api/jobs', $body, $key === null ? [] : ['Idempotency-Key' => $key]);
    }

    public function test_the_same_idempotency_key_twice_makes_one_run_and_the_second_request_gets_it_with_200(): void
    {
        $first = $this->postJob(self::BODY, 'report-2024.01:a_1')->assertStatus(202)
            ->assertJsonPath('data.idempotency_key', 'report-2024.01:a_1')
            ->assertJsonPath('data.completions', 0);
        $id = $first->json('data.id');
        $this->assertFalse($first->headers->has('Idempotent-Replayed'));

        $again = $this->postJob(self::BODY, 'report-2024.01:a_1');

        $again->assertOk()->assertJsonPath('data.id', $id)->assertJsonPath('data.status', 'queued')
            ->assertHeader('Idempotent-Replayed', 'true')->assertHeader('Location', "/api/jobs/{$id}");
        $this->assertSame(1, JobRun::query()->count());
        $this->assertSame(1, Queue::connection('redis')->size('default'), 'dispatched once');

        // a retry after the job ran answers the finished run, and still dispatches nothing
        $this->workOnce();
        $this->postJob(self::BODY, 'report-2024.01:a_1')->assertOk()->assertJsonPath('data.id', $id)
            ->assertJsonPath('data.status', 'succeeded')->assertJsonPath('data.completions', 1)
            ->assertJsonPath('data.result.sum', 10);
        $this->assertSame(0, Queue::connection('redis')->size('default'));
    }

    public function test_without_a_key_every_request_makes_a_run_and_keys_differing_in_case_are_two_keys(): void
    {
        $ids = [
            $this->postJob(self::BODY)->assertStatus(202)->json('data.id'),
            $this->postJob(self::BODY)->assertStatus(202)->json('data.id'),
            $this->postJob(self::BODY, 'abc')->assertStatus(202)->json('data.id'),
            $this->postJob(self::BODY, 'ABC')->assertStatus(202)->json('data.id'),
        ];

        $this->assertCount(4, array_unique($ids));
        $this->assertSame(4, Queue::connection('redis')->size('default'));
    }

    public function test_two_users_sending_the_same_key_get_two_runs(): void
    {
        $ada = $this->postJob(self::BODY, 'shared-key')->assertStatus(202)->json('data.id');
        $this->loginAs($this->newUser('Grace'));

        $grace = $this->postJob(self::BODY, 'shared-key')->assertStatus(202)->assertJsonPath('data.idempotency_key', 'shared-key')->json('data.id');

        $this->assertNotSame($ada, $grace);
        $this->assertSame(2, JobRun::query()->where('idempotency_key', 'shared-key')->distinct()->count('user_id'));
        $this->assertSame(2, Queue::connection('redis')->size('default'));
        $this->getJson("/api/jobs/{$ada}")->assertNotFound(); // still only the owner's
    }

    public function test_two_requests_racing_with_one_key_make_one_run_and_both_get_it(): void
    {
        // the other request inserts its run between this one's lookup and its insert
        $user = $this->user;
        $winner = (string) Str::uuid();
        JobRun::creating(function () use ($user, $winner) {
            if (DB::table('job_runs')->where('id', $winner)->exists()) {
                return;
            }
            DB::table('job_runs')->insert([
                'id' => $winner, 'user_id' => $user->getKey(), 'idempotency_key' => 'race-1', 'status' => JobRun::QUEUED,
                'input' => json_encode(self::BODY), 'attempts' => 0, 'created_at' => now(), 'updated_at' => now(),
            ]);
        });

        $loser = $this->postJob(self::BODY, 'race-1');

        $loser->assertOk()->assertJsonPath('data.id', $winner)->assertHeader('Idempotent-Replayed', 'true');
        $this->assertSame([$winner], JobRun::query()->pluck('id')->all());
        $this->assertSame(0, Queue::connection('redis')->size('default'), 'the loser dispatched nothing (the winner dispatches its own)');
    }

    public function test_the_same_key_with_another_body_is_a_422_and_dispatches_nothing(): void
    {
        $id = $this->postJob(self::BODY, 'once')->assertStatus(202)->json('data.id');

        $this->postJob(['numbers' => [7]], 'once')->assertStatus(422)
            ->assertJsonPath('errors.Idempotency-Key.0', 'The Idempotency-Key header was already used with another request body.');
        // the defaults of the optional fields are the same body
        $this->postJob(self::BODY + ['work_ms' => 0, 'fail_attempts' => 0], 'once')->assertOk()->assertJsonPath('data.id', $id);
        $this->assertSame(1, Queue::connection('redis')->size('default'));
    }

    /** @return array<string, array{string}> */
    public static function invalidKeys(): array
    {
        return [
            'empty' => [''],
            '101 characters' => [str_repeat('k', 101)],
            'a space' => ['two words'],
            'a slash' => ['a/b'],
            'a comma (the header sent twice)' => ['a, b'],
            'not ASCII' => ['clé'],
        ];
    }

    #[DataProvider('invalidKeys')]
    public function test_an_invalid_idempotency_key_is_a_422_json_error_and_makes_no_run(string $key): void
    {
        $response = $this->postJob(self::BODY, $key);

        $response->assertStatus(422)->assertHeader('Content-Type', 'application/json')
            ->assertJsonValidationErrors(['Idempotency-Key']);
        $this->assertIsString($response->json('message'));
        $this->assertStringContainsString('Idempotency-Key header', $response->json('errors.Idempotency-Key.0'));
        $this->assertSame(0, JobRun::query()->count());
        $this->assertSame(0, Queue::connection('redis')->size('default'));
    }

    public function test_keys_of_1_and_100_characters_of_every_allowed_kind_are_accepted(): void
    {
        $this->postJob(self::BODY, 'k')->assertStatus(202);
        $long = str_pad('AZaz09_.:-', 100, 'x');
        $this->postJob(self::BODY, $long)->assertStatus(202)->assertJsonPath('data.idempotency_key', $long);
    }

    public function test_work_ms_must_be_an_integer_from_0_to_20000(): void
    {
        foreach ([-1, 20001, 1.5, 'soon'] as $bad) {
            $this->postJob(self::BODY + ['work_ms' => $bad])->assertStatus(422)->assertJsonValidationErrors(['work_ms']);
        }
        $this->assertSame(0, Queue::connection('redis')->size('default'));
        foreach ([0, 20000] as $good) {
            $this->postJob(self::BODY + ['work_ms' => $good])->assertStatus(202);
        }
        $this->assertSame(2, Queue::connection('redis')->size('default'));
    }

    public function test_a_job_with_work_ms_is_running_for_that_long_before_it_succeeds(): void
    {
        $id = $this->postJob(self::BODY + ['work_ms' => 400])->assertStatus(202)->json('data.id');

        $start = hrtime(true);
        $this->workOnce();
        $elapsedMs = (hrtime(true) - $start) / 1e6;

        $this->assertGreaterThanOrEqual(400, $elapsedMs);
        $this->getJson("/api/jobs/{$id}")->assertJsonPath('data.status', 'succeeded')->assertJsonPath('data.completions', 1);
    }

    public function test_a_job_whose_worker_died_mid_job_is_delivered_again_after_retry_after_and_completes_once(): void
    {
        $id = $this->postJob(self::BODY + ['work_ms' => 50])->assertStatus(202)->json('data.id');
        $this->freezeTime(); // the reservation's second and the clock's below are the same
        $this->reserveAndDie();
        $this->assertSame(1, $this->reserved());

        // before retry_after (90 s) the reservation stands: the next worker finds nothing to do
        $this->travel((int) config('queue.connections.redis.retry_after') - 1)->seconds();
        $this->workOnce(['queue.connections.redis.block_for' => null]);
        $this->getJson("/api/jobs/{$id}")->assertJsonPath('data.status', 'running')->assertJsonPath('data.attempts', 1)
            ->assertJsonPath('data.worker', 'killed-worker:1');

        $this->travel(2)->seconds();
        $this->workOnce();

        $this->getJson("/api/jobs/{$id}")->assertOk()
            ->assertJsonPath('data.status', 'succeeded')
            ->assertJsonPath('data.attempts', 2)
            ->assertJsonPath('data.completions', 1);
        $this->assertSame(0, DB::table('failed_jobs')->count(), 'a killed attempt is not a failure');
        $this->assertSame(0, $this->reserved());
        $this->assertSame(0, Queue::connection('redis')->size('default'));
    }

    public function test_a_job_delivered_again_after_its_effect_applies_the_effect_once(): void
    {
        $id = $this->postJob(self::BODY)->assertStatus(202)->json('data.id');
        $this->reserveAndDie(effect: true); // the worker died after the result write, before the ack
        $after = JobRun::query()->findOrFail($id);
        $this->assertSame([JobRun::SUCCEEDED, 1, 1], [$after->status, $after->completions, $after->attempts]);

        $this->travel((int) config('queue.connections.redis.retry_after') + 1)->seconds();
        $this->workOnce();

        $run = JobRun::query()->findOrFail($id);
        $this->assertSame(JobRun::SUCCEEDED, $run->status);
        $this->assertSame(1, $run->completions, 'the effect was applied once');
        $this->assertSame(2, $run->attempts, 'the second delivery was recorded');
        $this->assertSame($after->result, $run->result);
        $this->assertEquals($after->finished_at, $run->finished_at, 'the result was not written again');
        $this->assertSame(0, DB::table('failed_jobs')->count());
        $this->assertSame(0, $this->reserved());
    }

    public function test_handling_the_same_job_twice_applies_its_effect_once(): void
    {
        $id = $this->postJob(self::BODY)->assertStatus(202)->json('data.id');
        Redis::connection()->command('del', ['queues:default']); // this test runs the job itself

        (new GenerateReport($id))->handle();
        (new GenerateReport($id))->handle();

        $this->getJson("/api/jobs/{$id}")->assertJsonPath('data.status', 'succeeded')
            ->assertJsonPath('data.completions', 1)->assertJsonPath('data.result.sum', 10);
    }

    public function test_a_job_killed_on_every_delivery_is_recorded_in_failed_jobs_only_after_its_tries(): void
    {
        $id = $this->postJob(self::BODY)->assertStatus(202)->json('data.id');
        $tries = (int) config('queue.tries');
        $retryAfter = (int) config('queue.connections.redis.retry_after');

        foreach (range(1, $tries) as $delivery) {
            $this->reserveAndDie();
            $this->travel($retryAfter + 1)->seconds();
            $this->assertSame(0, DB::table('failed_jobs')->count(), "in failed_jobs after {$delivery} killed deliveries");
        }
        $this->workOnce(); // delivery tries + 1: no attempt left

        $this->getJson("/api/jobs/{$id}")->assertJsonPath('data.status', 'failed')->assertJsonPath('data.completions', 0);
        $this->assertSame(1, DB::table('failed_jobs')->count());
        $this->assertStringContainsString('too many times', (string) DB::table('failed_jobs')->value('exception'));
    }

    public function test_a_job_queued_before_an_app_key_rotation_runs_after_it(): void
    {
        // GenerateReport is not ShouldBeEncrypted: its payload is serialized, not encrypted with APP_KEY
        $id = $this->postJob(self::BODY)->assertStatus(202)->json('data.id');
        $this->assertStringStartsWith('O:', $this->pendingPayload()['data']['command']);

        $this->workOnce(['app.key' => 'base64:'.base64_encode(random_bytes(32))]);

        $this->getJson("/api/jobs/{$id}")->assertJsonPath('data.status', 'succeeded');
    }
}
