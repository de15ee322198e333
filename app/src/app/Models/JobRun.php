<?php

namespace App\Models;

use App\Models\Concerns\BelongsToUser;
use Illuminate\Database\Eloquent\Concerns\HasUuids;
use Illuminate\Database\Eloquent\Model;

/**
 * The status of one job dispatched through the API, as the queue worker updates it. `user_id` is
 * who dispatched it: only that user can read it.
 */
class JobRun extends Model
{
    use BelongsToUser, HasUuids;

    public const QUEUED = 'queued';

    public const RUNNING = 'running';

    public const RETRYING = 'retrying';

    public const SUCCEEDED = 'succeeded';

    public const FAILED = 'failed';

    /** @var array<int, string> */
    protected $fillable = ['status', 'input', 'result', 'attempts', 'error', 'worker', 'finished_at'];

    /** @var array<string, string> */
    protected $casts = [
        'input' => 'array',
        'result' => 'array',
        'attempts' => 'integer',
        'finished_at' => 'datetime',
    ];
}
