<?php

namespace App\Models;

use App\Models\Concerns\BelongsToUser;
use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/**
 * A file attached to a task: the object lives in the uploads' object store under `object_key`
 * (generated, never the client's file name); this row is its metadata. Owned by the task's owner.
 */
class Attachment extends Model
{
    use BelongsToUser;

    /** @var array<int, string> */
    protected $fillable = ['object_key', 'size', 'sha256', 'content_type', 'original_name'];

    /** @var array<int, string> */
    protected $hidden = ['object_key', 'user_id'];

    /** @var array<string, string> */
    protected $casts = ['size' => 'integer', 'task_id' => 'integer'];

    /** @return BelongsTo<Task, Attachment> */
    public function task(): BelongsTo
    {
        return $this->belongsTo(Task::class);
    }
}
