<?php

namespace App\Jobs;

use App\Models\JobRun;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Support\Facades\Log;
use RuntimeException;
use Throwable;

/**
 * Sums and averages the numbers of a JobRun and stores the result. Retried with backoff
 * (config/queue.php tries/backoff); after the last attempt failed() marks the run failed and the
 * worker records the job in failed_jobs.
 */
class GenerateReport implements ShouldQueue
{
    use Dispatchable, InteractsWithQueue, Queueable;

    public int $tries;

    public function __construct(public readonly string $runId)
    {
        $this->tries = max(1, (int) config('queue.tries'));
    }

    /** @return list<int> seconds to wait before the 2nd, 3rd, ... attempt */
    public function backoff(): array
    {
        return array_values((array) config('queue.backoff'));
    }

    public function handle(): void
    {
        $run = JobRun::query()->findOrFail($this->runId);
        $attempt = $this->attempts();
        $run->update(['status' => JobRun::RUNNING, 'attempts' => $attempt, 'worker' => gethostname().':'.getmypid()]);

        $input = (array) $run->input;
        if ($attempt <= (int) ($input['fail_attempts'] ?? 0)) {
            $run->update(['status' => $attempt < $this->tries ? JobRun::RETRYING : JobRun::RUNNING]);
            throw new RuntimeException("report {$run->id}: attempt {$attempt} failed on purpose (fail_attempts)");
        }

        $numbers = array_map('floatval', (array) ($input['numbers'] ?? []));
        $run->update([
            'status' => JobRun::SUCCEEDED,
            'result' => [
                'count' => count($numbers),
                'sum' => array_sum($numbers),
                'mean' => $numbers ? array_sum($numbers) / count($numbers) : null,
            ],
            'error' => null,
            'finished_at' => now(),
        ]);
        Log::info('report generated', ['job_run' => $run->id, 'attempts' => $attempt]);
    }

    public function failed(Throwable $e): void
    {
        JobRun::query()->whereKey($this->runId)->update([
            'status' => JobRun::FAILED,
            'error' => $e->getMessage(),
            'finished_at' => now(),
        ]);
        Log::error('report failed for good', ['job_run' => $this->runId, 'error' => $e->getMessage()]);
    }
}
