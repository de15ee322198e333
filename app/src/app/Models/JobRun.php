<?php

namespace App\Models;

use App\Models\Concerns\BelongsToUser;
use Illuminate\Database\Eloquent\Concerns\HasUuids;
use Illuminate\Database\Eloquent\Model;

/**
 * The status of one job dispatched through the API, as the queue worker updates it. `user_id` is
 * who dispatched it: only that user can read it. `idempotency_key` is the client's Idempotency-Key
 * (unique per user); `completions` counts how many times the worker applied the job's effect
 * (never more than 1, however often the job was delivered). Neither is mass-assignable from a
 * request body: the controller sets the key from the header, only the worker writes completions.
 */
class JobRun extends Model
{
    use BelongsToUser, HasUuids;

    public const QUEUED = 'queued';

    public const RUNNING = 'running';

    public const RETRYING = 'retrying';

    public const SUCCEEDED = 'succeeded';

    public const FAILED = 'failed';

    /** @var array<string, mixed> the columns' defaults, so a run just created shows them */
    protected $attributes = ['attempts' => 0, 'completions' => 0];

    /** @var array<int, string> */
    protected $fillable = ['status', 'input', 'result', 'attempts', 'error', 'worker', 'finished_at'];

    /** @var array<string, string> */
    protected $casts = [
        'input' => 'array',
        'result' => 'array',
        'attempts' => 'integer',
        'completions' => 'integer',
        'finished_at' => 'datetime',
    ];
}
