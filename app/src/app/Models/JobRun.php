<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Concerns\HasUuids;
use Illuminate\Database\Eloquent\Builder;
use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/**
 * The status of one job dispatched through the API, as the queue worker updates it. `user_id` is
 * who dispatched it: only that user can read it.
 */
class JobRun extends Model
{
    use HasUuids;

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

    /** @return BelongsTo<User, JobRun> */
    public function user(): BelongsTo
    {
        return $this->belongsTo(User::class);
    }

    /** Only the runs `$user` dispatched; no user (a guest) owns nothing. */
    public function scopeOwnedBy(Builder $query, ?User $user): void
    {
        if ($user === null) {
            // not where('user_id', null): Eloquent turns that into IS NULL, the ownerless rows
            $query->whereRaw('1 = 0');

            return;
        }
        $query->where('user_id', $user->getKey());
    }
}
