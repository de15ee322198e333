<?php

namespace App\Policies;

use App\Models\Attachment;
use App\Models\User;
use Illuminate\Auth\Access\Response;

/**
 * Attachments follow their task (TaskPolicy): only the owner uploads to a task (the route binds
 * {task} among the caller's tasks, then `can:update,task`), reads or deletes an attachment; anyone
 * else gets "not found", never 403.
 */
class AttachmentPolicy
{
    public function view(User $user, Attachment $attachment): Response
    {
        return $this->owner($user, $attachment);
    }

    public function delete(User $user, Attachment $attachment): Response
    {
        return $this->owner($user, $attachment);
    }

    private function owner(User $user, Attachment $attachment): Response
    {
        return $attachment->user_id !== null && (int) $attachment->user_id === (int) $user->getKey()
            ? Response::allow()
            : Response::denyAsNotFound("Attachment {$attachment->getKey()} not found.");
    }
}
