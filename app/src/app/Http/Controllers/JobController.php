<?php

namespace App\Http\Controllers;

use App\Jobs\GenerateReport;
use App\Models\JobRun;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Log;

/**
 * POST /api/jobs dispatches a report job onto the Redis queue and answers 202 with its id;
 * GET /api/jobs/{id} shows its status as the worker (a separate `queue:work` process) updates it.
 * `fail_attempts` makes the first N attempts throw, to show retries with backoff and failed_jobs.
 * Both need a session; the run records who dispatched it, and {jobRun} is bound among the
 * caller's runs only (RouteServiceProvider; JobRunPolicy checked on the route).
 */
class JobController extends Controller
{
    public function store(Request $request): JsonResponse
    {
        $data = $request->validate([
            'numbers' => ['required', 'array', 'min:1', 'max:1000'],
            'numbers.*' => ['numeric'],
            'fail_attempts' => ['sometimes', 'integer', 'between:0,10'],
        ]);

        $run = $request->user()->jobRuns()->create([
            'status' => JobRun::QUEUED,
            'input' => $data,
            'attempts' => 0,
        ]);
        GenerateReport::dispatch($run->id);
        Log::info('report queued', ['job_run' => $run->id]);

        return response()->json(['data' => $this->present($run)], 202)
            ->header('Location', route('jobs.show', $run, false));
    }

    public function show(JobRun $jobRun): JsonResponse
    {
        return response()->json(['data' => $this->present($jobRun)]);
    }

    /** @return array<string, mixed> */
    private function present(JobRun $run): array
    {
        return [
            'id' => $run->id,
            'status' => $run->status,
            'attempts' => $run->attempts,
            'result' => $run->result,
            'error' => $run->error,
            'worker' => $run->worker,
            'finished_at' => $run->finished_at?->toIso8601String(),
        ];
    }
}
