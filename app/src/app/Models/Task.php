<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Builder;
use Illuminate\Database\Eloquent\Factories\HasFactory;
use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/** A task belongs to the user who created it; `user_id` is never mass-assigned (not fillable). */
class Task extends Model
{
    use HasFactory;

    public const STATUSES = ['todo', 'doing', 'done'];

    public const PRIORITIES = ['low', 'normal', 'high'];

    /** @var array<int, string> */
    protected $fillable = ['title', 'description', 'status', 'priority', 'due_on'];

    /** @var array<string, string> */
    protected $casts = [
        'due_on' => 'date:Y-m-d',
    ];

    /** @var array<string, mixed> */
    protected $attributes = [
        'status' => 'todo',
        'priority' => 'normal',
    ];

    /** @return BelongsTo<User, Task> */
    public function user(): BelongsTo
    {
        return $this->belongsTo(User::class);
    }

    /** Only the tasks of `$user`; no user (a guest) owns nothing. */
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
