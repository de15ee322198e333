<?php

namespace App\Http\Controllers;

use App\Filesystem\StoreUnavailable;
use App\Http\Requests\TaskRequest;
use App\Models\Task;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Http\Response;
use Illuminate\Support\Facades\Log;
use Illuminate\Support\Facades\Storage;
use Illuminate\Validation\Rule;

/**
 * CRUD of the caller's tasks: list (paginated, filter by status/priority, search in title), show,
 * create, update, delete. The routes require a session (`auth`); {task} is bound among the
 * caller's tasks only (RouteServiceProvider) and TaskPolicy is checked for every action.
 */
class TaskController extends Controller
{
    public function __construct()
    {
        $this->authorizeResource(Task::class, 'task');
    }

    public function index(Request $request): JsonResponse
    {
        $q = $request->validate([
            'status' => ['sometimes', Rule::in(Task::STATUSES)],
            'priority' => ['sometimes', Rule::in(Task::PRIORITIES)],
            // an empty search box (`?search=`, null after ConvertEmptyStringsToNull) is no filter
            'search' => ['sometimes', 'nullable', 'string', 'max:100'],
            'per_page' => ['sometimes', 'integer', 'between:1,100'],
            // bounded: page x per_page beyond PHP_INT_MAX wrapped the offset and answered page 1's rows
            'page' => ['sometimes', 'integer', 'between:1,1000000'],
        ]);

        $page = Task::query()->ownedBy($request->user())
            ->when($q['status'] ?? null, fn ($query, $v) => $query->where('status', $v))
            ->when($q['priority'] ?? null, fn ($query, $v) => $query->where('priority', $v))
            ->when($q['search'] ?? null, fn ($query, $v) => $query->where('title', 'like', '%'.addcslashes($v, '%_\\').'%'))
            ->orderBy('id')
            ->paginate((int) ($q['per_page'] ?? 15))
            ->withQueryString();

        return response()->json([
            'data' => $page->items(),
            'meta' => [
                'current_page' => $page->currentPage(),
                'per_page' => $page->perPage(),
                'total' => $page->total(),
                'last_page' => $page->lastPage(),
            ],
            'links' => [
                'next' => $page->nextPageUrl(),
                'prev' => $page->previousPageUrl(),
            ],
        ]);
    }

    public function store(TaskRequest $request): JsonResponse
    {
        $task = $request->user()->tasks()->create($request->validated());
        Log::info('task created', ['task_id' => $task->id, 'user_id' => $task->user_id]);

        return response()->json(['data' => $task->refresh()], 201)
            ->header('Location', route('tasks.show', $task, false));
    }

    public function show(Task $task): JsonResponse
    {
        return response()->json(['data' => $task]);
    }

    public function update(TaskRequest $request, Task $task): JsonResponse
    {
        $task->update($request->validated());

        return response()->json(['data' => $task->refresh()]);
    }

    public function destroy(Task $task): Response
    {
        // the attachments' rows go with the task (ON DELETE CASCADE), their objects would stay in
        // the store: deleted first, so a store that is down fails the request and keeps the task
        $keys = $task->attachments()->pluck('object_key')->all();
        // (unreachable: StoreUnavailable; refused: delete() is false) -> 503 JSON, task kept
        if ($keys !== [] && ! Storage::disk((string) config('uploads.disk'))->delete($keys)) {
            throw new StoreUnavailable('the object store refused to delete the attachments of task '.$task->getKey());
        }
        $task->delete();

        return response()->noContent();
    }
}
