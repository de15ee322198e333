<?php

namespace Tests\Feature;

use App\Models\Task;
use App\Models\User;
use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

/** The CRUD itself, as a logged-in user (who may do what: AccessMatrixTest). */
#[Group('api-crud')]
class TaskApiTest extends TestCase
{
    private User $owner;

    protected function setUp(): void
    {
        parent::setUp();
        $this->owner = $this->newUser();
        $this->loginAs($this->owner);
    }

    public function test_a_task_is_created_with_201_and_a_location_header(): void
    {
        $response = $this->postJson('/api/tasks', ['title' => 'Write the runbook', 'priority' => 'high']);

        $response->assertCreated()
            ->assertJsonPath('data.title', 'Write the runbook')
            ->assertJsonPath('data.status', 'todo')
            ->assertJsonPath('data.priority', 'high');
        $id = $response->json('data.id');
        $this->assertSame("/api/tasks/{$id}", $response->headers->get('Location'));
        $this->assertDatabaseHas('tasks', ['id' => $id, 'title' => 'Write the runbook', 'user_id' => $this->owner->id]);
    }

    public function test_an_invalid_task_is_rejected_with_422_and_field_errors(): void
    {
        $this->postJson('/api/tasks', ['title' => 'x', 'status' => 'someday', 'due_on' => '31/12/2026'])
            ->assertStatus(422)
            ->assertJsonValidationErrors(['title', 'status', 'due_on']);
        $this->postJson('/api/tasks', [])->assertStatus(422)->assertJsonValidationErrors(['title']);
        $this->assertDatabaseCount('tasks', 0);
    }

    public function test_a_task_is_read_updated_and_deleted(): void
    {
        $task = $this->owner->tasks()->create(['title' => 'Tune pm.max_children']);

        $this->getJson("/api/tasks/{$task->id}")->assertOk()->assertJsonPath('data.title', 'Tune pm.max_children');
        $this->patchJson("/api/tasks/{$task->id}", ['status' => 'done'])
            ->assertOk()->assertJsonPath('data.status', 'done')->assertJsonPath('data.title', 'Tune pm.max_children');
        $this->putJson("/api/tasks/{$task->id}", ['title' => 'Tune pm.max_children again', 'priority' => 'low'])
            ->assertOk()->assertJsonPath('data.priority', 'low');
        $this->patchJson("/api/tasks/{$task->id}", ['status' => 'never'])->assertStatus(422)->assertJsonValidationErrors(['status']);
        $this->deleteJson("/api/tasks/{$task->id}")->assertNoContent();
        $this->getJson("/api/tasks/{$task->id}")->assertNotFound();
        $this->assertDatabaseMissing('tasks', ['id' => $task->id]);
    }

    public function test_an_unknown_task_id_is_a_404_json_error(): void
    {
        foreach (['/api/tasks/999999', '/api/tasks/not-a-number'] as $uri) {
            $this->getJson($uri)->assertNotFound()->assertJsonStructure(['message']);
        }
        $this->deleteJson('/api/tasks/999999')->assertNotFound();
        $this->patchJson('/api/tasks/999999', ['title' => 'nope'])->assertNotFound();
    }

    public function test_the_list_is_paginated(): void
    {
        foreach (range(1, 23) as $i) {
            $this->owner->tasks()->create(['title' => "Task number {$i}"]);
        }

        $first = $this->getJson('/api/tasks?per_page=10')->assertOk();
        $first->assertJsonCount(10, 'data')
            ->assertJsonPath('meta.total', 23)
            ->assertJsonPath('meta.last_page', 3)
            ->assertJsonPath('data.0.title', 'Task number 1');
        $this->assertStringContainsString('page=2', (string) $first->json('links.next'));

        $this->getJson('/api/tasks?per_page=10&page=3')->assertOk()
            ->assertJsonCount(3, 'data')->assertJsonPath('data.0.title', 'Task number 21')
            ->assertJsonPath('links.next', null);
        $this->getJson('/api/tasks?per_page=1000')->assertStatus(422)->assertJsonValidationErrors(['per_page']);
        $this->getJson('/api/tasks?page=0')->assertStatus(422)->assertJsonValidationErrors(['page']);
    }

    public function test_the_list_is_filtered_by_status_priority_and_search(): void
    {
        $this->owner->tasks()->create(['title' => 'Open one', 'status' => 'todo', 'priority' => 'high']);
        $this->owner->tasks()->create(['title' => 'Busy one', 'status' => 'doing']);
        $this->owner->tasks()->create(['title' => 'Closed one', 'status' => 'done', 'priority' => 'high']);
        $this->owner->tasks()->create(['title' => '100% done', 'status' => 'done']);

        $this->getJson('/api/tasks?status=done')->assertOk()->assertJsonPath('meta.total', 2);
        $this->getJson('/api/tasks?status=done&priority=high')->assertOk()
            ->assertJsonPath('meta.total', 1)->assertJsonPath('data.0.title', 'Closed one');
        $this->getJson('/api/tasks?search=Busy')->assertOk()->assertJsonPath('meta.total', 1);
        // LIKE wildcards in the search are literal
        $this->getJson('/api/tasks?search=%25')->assertOk()->assertJsonPath('meta.total', 1);
        $this->getJson('/api/tasks?status=archived')->assertStatus(422)->assertJsonValidationErrors(['status']);
    }

    public function test_malformed_json_is_a_400_json_error_not_a_500(): void
    {
        $response = $this->call('POST', '/api/tasks', [], [], [], [
            'CONTENT_TYPE' => 'application/json',
            'HTTP_ACCEPT' => 'application/json',
        ], '{"title": "unterminated');

        $response->assertStatus(400);
        $this->assertStringContainsString('Malformed JSON', (string) $response->json('message'));
        $this->assertDatabaseCount('tasks', 0);
    }

    /** Found by the API fuzzing: PHP's trim() strips NUL, so "\0" passed as an empty body (200). */
    public function test_a_json_body_of_only_a_nul_byte_is_malformed_not_an_empty_update(): void
    {
        $task = $this->owner->tasks()->create(['title' => 'Unchanged']);
        foreach (["\0", " \0\n", "\x0B"] as $body) {
            $response = $this->call('PUT', "/api/tasks/{$task->id}", [], [], [], [
                'CONTENT_TYPE' => 'application/json', 'HTTP_ACCEPT' => 'application/json',
            ], $body);
            $response->assertStatus(400);
            $this->assertStringContainsString('Malformed JSON', (string) $response->json('message'), json_encode($body));
        }
        // JSON's own whitespace is still no body: an empty update answers the task
        $this->loginAs($this->owner)->call('PATCH', "/api/tasks/{$task->id}", [], $this->prepareCookiesForRequest(), [],
            $this->transformHeadersToServerVars(['Accept' => 'application/json']) + ['CONTENT_TYPE' => 'application/json'],
            " \n\t",
        )
            ->assertOk()->assertJsonPath('data.title', 'Unchanged');
    }

    /** Found with the API fuzzing's document: an empty search box was a 422, a huge page answered page 1. */
    public function test_an_empty_search_is_no_filter_and_a_page_beyond_the_bound_is_a_field_error(): void
    {
        $this->owner->tasks()->create(['title' => 'Only one']);

        $this->getJson('/api/tasks?search=')->assertOk()->assertJsonPath('meta.total', 1);
        $this->getJson('/api/tasks?search=%20%20')->assertOk()->assertJsonPath('meta.total', 1);
        $this->getJson('/api/tasks?page=1000000')->assertOk()->assertJsonCount(0, 'data');
        // 2^63-1: page x per_page wrapped the offset, and the rows of page 1 came back
        $this->getJson('/api/tasks?page=9223372036854775807')->assertStatus(422)->assertJsonValidationErrors(['page']);
        $this->getJson('/api/tasks?page=1000001')->assertStatus(422)->assertJsonValidationErrors(['page']);
    }

    public function test_an_oversize_body_is_a_413_json_error(): void
    {
        $limit = (int) config('app.max_body_bytes');
        $body = json_encode(['title' => 'big', 'description' => str_repeat('a', $limit)]);

        $response = $this->call('POST', '/api/tasks', [], [], [], [
            'CONTENT_TYPE' => 'application/json',
            'CONTENT_LENGTH' => (string) strlen($body),
        ], $body);

        $response->assertStatus(413)->assertJsonStructure(['message']);
        $this->assertDatabaseCount('tasks', 0);
    }

    public function test_an_unknown_route_is_a_404_json_error(): void
    {
        $this->get('/api/does-not-exist', ['Accept' => 'text/html'])
            ->assertNotFound()->assertHeader('Content-Type', 'application/json')->assertJsonStructure(['message']);
    }

    public function test_a_wrong_method_is_a_405_json_error(): void
    {
        $this->deleteJson('/api/tasks')->assertStatus(405)->assertJsonStructure(['message']);
        $this->postJson('/api/ping')->assertStatus(405)->assertHeader('Content-Type', 'application/json');
    }

    public function test_the_ping_route_answers_without_touching_the_database(): void
    {
        $queries = 0;
        \Illuminate\Support\Facades\DB::listen(function () use (&$queries) {
            $queries++;
        });

        $this->getJson('/api/ping')->assertOk()->assertExactJson(['pong' => true, 'runtime' => config('app.runtime')]);
        $this->assertSame(0, $queries);
    }
}
