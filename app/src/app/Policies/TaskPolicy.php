<?php

namespace App\Policies;

use App\Models\Task;
use App\Models\User;
use Illuminate\Auth\Access\Response;

/**
 * Who may do what with a task: any logged-in user lists and creates (their own), only the owner
 * reads, changes or deletes one. Guests never get here (the `auth` middleware answers 401 first).
 * The route binding is scoped to the caller already, so another user's task is a 404 before this
 * policy runs; the policy is the second lock, and it denies as "not found" too, never 403, so
 * nobody learns that a task id exists.
 */
class TaskPolicy
{
    public function viewAny(User $user): bool
    {
        return true;
    }

    public function create(User $user): bool
    {
        return true;
    }

    public function view(User $user, Task $task): Response
    {
        return $this->owner($user, $task);
    }

    public function update(User $user, Task $task): Response
    {
        return $this->owner($user, $task);
    }

    public function delete(User $user, Task $task): Response
    {
        return $this->owner($user, $task);
    }

    private function owner(User $user, Task $task): Response
    {
        return $task->user_id !== null && (int) $task->user_id === (int) $user->getKey()
            ? Response::allow()
            : Response::denyAsNotFound("Task {$task->getKey()} not found.");
    }
}
