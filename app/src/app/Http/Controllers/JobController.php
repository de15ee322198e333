<?php

namespace App\Http\Controllers;

use App\Jobs\GenerateReport;
use App\Models\JobRun;
use App\Models\User;
use Illuminate\Database\UniqueConstraintViolationException;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Log;
use Illuminate\Support\Facades\Validator;
use Illuminate\Validation\ValidationException;

/**
 * POST /api/jobs dispatches a report job onto the Redis queue and answers 202 with its id;
 * GET /api/jobs/{id} shows its status as the worker (a separate `queue:work` process) updates it.
 * `fail_attempts` makes the first N attempts throw, to show retries with backoff and failed_jobs;
 * `work_ms` makes the job work that long, so a worker can be killed mid-job.
 *
 * `Idempotency-Key` (optional header): the same key from the same user answers 200 with the run
 * it created first instead of dispatching again (header `Idempotent-Replayed: true`); the same
 * key with another body is a 422. Unique per user in the database, so two racing requests with
 * one key make one run: the loser of the insert answers with the winner's run.
 *
 * Both need a session; the run records who dispatched it, and {jobRun} is bound among the
 * caller's runs only (RouteServiceProvider; JobRunPolicy checked on the route).
 */
class JobController extends Controller
{
    public const IDEMPOTENCY_HEADER = 'Idempotency-Key';

    public function store(Request $request): JsonResponse
    {
        $key = $this->idempotencyKey($request);
        $data = $request->validate([
            'numbers' => ['required', 'array', 'min:1', 'max:1000'],
            'numbers.*' => ['numeric'],
            'fail_attempts' => ['sometimes', 'integer', 'between:0,10'],
            'work_ms' => ['sometimes', 'integer', 'between:0,'.GenerateReport::MAX_WORK_MS],
        ]);
        /** @var User $user */
        $user = $request->user();

        if ($key !== null && ($earlier = $this->runWithKey($user, $key)) !== null) {
            return $this->replay($earlier, $data);
        }
        $run = $user->jobRuns()->make(['status' => JobRun::QUEUED, 'input' => $data, 'attempts' => 0]);
        $run->idempotency_key = $key;
        try {
            $run->save();
        } catch (UniqueConstraintViolationException $e) {
            // a concurrent request with the same key inserted first: its run is the answer
            $earlier = $key !== null ? $this->runWithKey($user, $key) : null;
            if ($earlier === null) {
                throw $e;
            }

            return $this->replay($earlier, $data);
        }
        GenerateReport::dispatch($run->id);
        Log::info('report queued', ['job_run' => $run->id]);

        return response()->json(['data' => $this->present($run)], 202)
            ->header('Location', route('jobs.show', $run, false));
    }

    public function show(JobRun $jobRun): JsonResponse
    {
        return response()->json(['data' => $this->present($jobRun)]);
    }

    /** The Idempotency-Key header (null without one); 422 when it is empty, too long or has other characters. */
    private function idempotencyKey(Request $request): ?string
    {
        if (! $request->headers->has(self::IDEMPOTENCY_HEADER)) {
            return null;
        }
        // a repeated header reads as "a, b", which the pattern refuses
        $value = implode(', ', $request->headers->all(strtolower(self::IDEMPOTENCY_HEADER)));
        Validator::make(
            [self::IDEMPOTENCY_HEADER => $value],
            [self::IDEMPOTENCY_HEADER => ['required', 'string', 'max:100', 'regex:/\A[A-Za-z0-9_.:-]+\z/']],
            ['regex' => 'The :attribute may contain only letters, digits and _ . : -'],
            [self::IDEMPOTENCY_HEADER => 'Idempotency-Key header'],
        )->validate();

        return $value;
    }

    private function runWithKey(User $user, string $key): ?JobRun
    {
        return $user->jobRuns()->where('idempotency_key', $key)->first();
    }

    /**
     * The run an earlier request with the same key created: 200, nothing dispatched. The key
     * stands for one request: another body with it is a client error, not a new run.
     *
     * @param  array<string, mixed>  $data  this request's validated body
     */
    private function replay(JobRun $run, array $data): JsonResponse
    {
        $defaults = ['fail_attempts' => 0, 'work_ms' => 0];
        if (((array) $run->input) + $defaults != $data + $defaults) {
            throw ValidationException::withMessages([
                self::IDEMPOTENCY_HEADER => ['The Idempotency-Key header was already used with another request body.'],
            ]);
        }
        Log::info('report request replayed', ['job_run' => $run->id]);

        return response()->json(['data' => $this->present($run)], 200)
            ->header('Location', route('jobs.show', $run, false))
            ->header('Idempotent-Replayed', 'true');
    }

    /** @return array<string, mixed> */
    private function present(JobRun $run): array
    {
        return [
            'id' => $run->id,
            'status' => $run->status,
            'attempts' => $run->attempts,
            'completions' => $run->completions,
            'idempotency_key' => $run->idempotency_key,
            'result' => $run->result,
            'error' => $run->error,
            'worker' => $run->worker,
            'finished_at' => $run->finished_at?->toIso8601String(),
        ];
    }
}
