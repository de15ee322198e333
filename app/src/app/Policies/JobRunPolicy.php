<?php

namespace App\Policies;

use App\Models\JobRun;
use App\Models\User;
use Illuminate\Auth\Access\Response;

/** Only the user who dispatched a job reads its status (as not found for anyone else, never 403). */
class JobRunPolicy
{
    public function create(User $user): bool
    {
        return true;
    }

    public function view(User $user, JobRun $jobRun): Response
    {
        return $jobRun->user_id !== null && (int) $jobRun->user_id === (int) $user->getKey()
            ? Response::allow()
            : Response::denyAsNotFound("JobRun {$jobRun->getKey()} not found.");
    }
}
