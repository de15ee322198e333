<?php

namespace Tests\Feature;

use Illuminate\Support\Facades\Log;
use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

#[Group('structured-logs')]
class StructuredLogTest extends TestCase
{
    private string $logFile;

    protected function setUp(): void
    {
        parent::setUp();
        $this->logFile = tempnam(sys_get_temp_dir(), 'lks-log-');
        $this->logToFile();
    }

    /** The stderr channel, pointed at a file so the test can read what it wrote (again after loginAs(): a fresh app). */
    private function logToFile(): void
    {
        config(['logging.default' => 'stderr', 'logging.channels.stderr.with.stream' => $this->logFile]);
        Log::forgetChannel('stderr');
    }

    protected function tearDown(): void
    {
        @unlink($this->logFile);
        parent::tearDown();
    }

    /** @return list<array<string, mixed>> */
    private function records(): array
    {
        $lines = array_values(array_filter(explode("\n", (string) file_get_contents($this->logFile)), 'strlen'));
        $this->assertNotEmpty($lines, 'something was logged');

        return array_map(function (string $line) {
            $record = json_decode($line, true);
            $this->assertIsArray($record, "one JSON object per line: {$line}");

            return $record;
        }, $lines);
    }

    public function test_every_log_line_is_one_json_object_with_level_message_time_and_the_request_id(): void
    {
        $this->loginAs($this->newUser())->logToFile();
        $response = $this->withHeader('X-Request-Id', 'req-test-0001')->postJson('/api/tasks', ['title' => 'log me']);

        $response->assertCreated()->assertHeader('X-Request-Id', 'req-test-0001');
        $records = $this->records();
        $created = array_values(array_filter($records, fn ($r) => $r['message'] === 'task created'));
        $this->assertCount(1, $created);
        foreach ($records as $record) {
            $this->assertSame('req-test-0001', $record['request_id']);
            $this->assertMatchesRegularExpression('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/', $record['time']);
            $this->assertContains($record['level'], ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);
        }
        $this->assertSame('info', $created[0]['level']);
        $this->assertSame($response->json('data.id'), $created[0]['context']['task_id']);
    }

    public function test_a_request_without_an_id_gets_a_generated_one_in_the_response_and_the_logs(): void
    {
        $this->loginAs($this->newUser())->logToFile();
        $response = $this->postJson('/api/tasks', ['title' => 'no id given']);

        $id = (string) $response->headers->get('X-Request-Id');
        $this->assertMatchesRegularExpression('/^[0-9a-f-]{36}$/', $id);
        $this->assertSame($id, $this->records()[0]['request_id']);
    }

    public function test_an_unsafe_request_id_is_replaced(): void
    {
        $response = $this->withHeader('X-Request-Id', "bad id\n{json}")->getJson('/api/ping');

        $this->assertMatchesRegularExpression('/^[0-9a-f-]{36}$/', (string) $response->headers->get('X-Request-Id'));
    }

    public function test_an_error_with_a_multi_line_trace_is_still_one_line(): void
    {
        Log::error("first line\nsecond line", ['exception' => new \RuntimeException("boom\nwith newline")]);

        $records = $this->records();
        $this->assertCount(1, $records);
        $this->assertSame("first line\nsecond line", $records[0]['message']);
        $this->assertSame('error', $records[0]['level']);
        $this->assertSame(\RuntimeException::class, $records[0]['context']['exception']['class']);
    }

    public function test_a_server_error_is_logged_as_json_and_answered_without_a_trace(): void
    {
        $this->loginAs($this->newUser())->logToFile();
        config(['database.connections.mysql.port' => 1]);
        \Illuminate\Support\Facades\DB::purge('mysql');

        $response = $this->withHeader('X-Request-Id', 'req-test-0500')->getJson('/api/tasks');

        $response->assertStatus(500)->assertExactJson(['message' => 'Server Error', 'request_id' => 'req-test-0500']);
        $errors = array_values(array_filter($this->records(), fn ($r) => $r['level'] === 'error'));
        $this->assertNotEmpty($errors);
        $this->assertSame('req-test-0500', $errors[0]['request_id']);
    }
}
