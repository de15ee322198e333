<?php

namespace App\Models\Concerns;

use App\Models\User;
use Illuminate\Database\Eloquent\Builder;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/** A row owned by a user (`user_id`): the owner relation and the query scope to one owner's rows. */
trait BelongsToUser
{
    /** @return BelongsTo<User, static> */
    public function user(): BelongsTo
    {
        return $this->belongsTo(User::class);
    }

    /** Only the rows of `$user`; no user (a guest) owns nothing. */
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
