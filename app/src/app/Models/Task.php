<?php

namespace App\Models;

use App\Models\Concerns\BelongsToUser;
use Illuminate\Database\Eloquent\Factories\HasFactory;
use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\HasMany;

/** A task belongs to the user who created it; `user_id` is never mass-assigned (not fillable). */
class Task extends Model
{
    use BelongsToUser, HasFactory;

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

    /** @return HasMany<Attachment> */
    public function attachments(): HasMany
    {
        return $this->hasMany(Attachment::class);
    }
}
