<?php

namespace Tests\Feature;

use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Log;
use Illuminate\Support\Facades\Redis;
use PHPUnit\Framework\Attributes\Group;
use Symfony\Component\HttpClient\Response\MockResponse;
use Tests\Feature\Concerns\RecordsTraces;
use Tests\TestCase;

/**
 * Tracing through the whole app against the real MariaDB and Redis, the collector faked by
 * MockHttpClient (RecordsTraces) or a real socket of the test's own on 127.0.0.1: the caller's
 * traceparent, the SERVER span and its CLIENT children, sampling, the queue hop to the worker,
 * the log lines, and a dead collector that never costs the request anything.
 */
#[Group('tracing')]
class TracingTest extends TestCase
{
    use RecordsTraces;

    private const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

    private const CALLER_SPAN = '00f067aa0ba902b7';

    private const CALLER = '00-'.self::TRACE.'-'.self::CALLER_SPAN.'-01';

    private ?string $logFile = null;

    protected function tearDown(): void
    {
        if ($this->logFile !== null) {
            @unlink($this->logFile);
        }
        parent::tearDown();
    }

    /** The stderr channel into a file the test reads (again after every new application). */
    private function logToFile(): void
    {
        $this->logFile ??= tempnam(sys_get_temp_dir(), 'lks-trace-log-');
        config(['logging.default' => 'stderr', 'logging.channels.stderr.with.stream' => $this->logFile]);
        Log::forgetChannel('stderr');
    }

    /** @return list<array<string, mixed>> */
    private function logRecords(): array
    {
        $lines = array_filter(explode("\n", (string) file_get_contents((string) $this->logFile)), 'strlen');

        return array_values(array_map(fn (string $line) => json_decode($line, true, flags: JSON_THROW_ON_ERROR), $lines));
    }

    /** @return list<array<string, mixed>> */
    private function spansOfKind(int $kind): array
    {
        return array_values(array_filter($this->exportedSpans(), fn (array $s) => $s['kind'] === $kind));
    }

    private function serverSpan(): array
    {
        $servers = $this->spansOfKind(2);
        $this->assertCount(1, $servers, 'one SERVER span per request');

        return $servers[0];
    }

    public function test_a_request_with_a_valid_traceparent_is_a_child_of_the_callers_span_with_its_queries_and_redis_commands_below(): void
    {
        $this->withTracing()->loginAs($this->newUser());
        $this->exports = [];
        $exportedBefore = $this->counter('app_trace_spans_exported_total');

        $response = $this->withHeaders(['traceparent' => self::CALLER, 'X-Request-Id' => 'req-trace-0001'])
            ->postJson('/api/tasks', ['title' => 'secret-title-4711']);

        $response->assertCreated();
        $this->assertCount(1, $this->exports, 'one export per request, after the response');
        $server = $this->serverSpan();
        $this->assertSame(self::TRACE, $server['traceId']);
        $this->assertSame(self::CALLER_SPAN, $server['parentSpanId']);
        $this->assertSame('POST /api/tasks', $server['name']);
        $this->assertSame([
            'http.request.method' => 'POST', 'url.path' => '/api/tasks', 'app.runtime' => 'fpm',
            'app.request_id' => 'req-trace-0001', 'http.route' => '/api/tasks', 'http.response.status_code' => 201,
        ], self::attributesOf($server));
        $this->assertSame(0, $server['status']['code']);
        $this->assertSame("00-{$server['traceId']}-{$server['spanId']}-01", $response->headers->get('traceresponse'));

        $queries = array_values(array_filter($this->spansOfKind(3), fn ($s) => (self::attributesOf($s)['db.system'] ?? '') === 'mysql'));
        $commands = array_values(array_filter($this->spansOfKind(3), fn ($s) => (self::attributesOf($s)['db.system'] ?? '') === 'redis'));
        $this->assertNotEmpty($queries, 'a CLIENT span per query');
        $this->assertNotEmpty($commands, 'a CLIENT span per Redis command (the session)');
        $insert = array_values(array_filter($queries, fn ($s) => self::attributesOf($s)['db.operation'] === 'INSERT'));
        $this->assertCount(1, $insert);
        $statement = self::attributesOf($insert[0])['db.statement'];
        $this->assertStringContainsString('insert into `tasks`', $statement);
        $this->assertStringContainsString('?', $statement);
        $this->assertStringNotContainsString('secret-title-4711', $statement, 'bindings are never inlined');
        foreach ([...$queries, ...$commands] as $client) {
            $this->assertSame(self::TRACE, $client['traceId']);
            $this->assertSame($server['spanId'], $client['parentSpanId']);
            $this->assertGreaterThanOrEqual((int) $server['startTimeUnixNano'], (int) $client['startTimeUnixNano']);
            $this->assertLessThanOrEqual((int) $server['endTimeUnixNano'], (int) $client['endTimeUnixNano']);
            $this->assertLessThanOrEqual((int) $client['startTimeUnixNano'] + 5_000_000_000, (int) $client['endTimeUnixNano']);
        }
        $this->assertSame((float) count($this->exportedSpans()), $this->counter('app_trace_spans_exported_total') - $exportedBefore);
    }

    public function test_the_export_is_otlp_json_with_the_service_resource_and_hex_ids(): void
    {
        $this->withTracing(['OTEL_SERVICE_NAME' => 'tracing-test-service']);

        $this->getJson('/api/ping')->assertOk();

        $this->assertCount(1, $this->exports);
        $export = $this->exports[0];
        $this->assertSame(['POST', 'http://collector.test:4318/v1/traces', 'Content-Type: application/json'], [$export['method'], $export['url'], $export['content_type']]);
        $resource = self::attributesOf($export['body']['resourceSpans'][0]['resource']);
        $this->assertSame('tracing-test-service', $resource['service.name']);
        $this->assertSame((string) config('app.version'), $resource['service.version']);
        $this->assertSame('testing', $resource['deployment.environment']);
        $this->assertSame('fpm', $resource['app.runtime']);
        $server = $this->serverSpan();
        $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $server['traceId']);
        $this->assertMatchesRegularExpression('/^[0-9a-f]{16}$/', $server['spanId']);
        $this->assertArrayNotHasKey('parentSpanId', $server, 'no caller: a root span');
        $this->assertMatchesRegularExpression('/^\d{19}$/', $server['startTimeUnixNano']);
        $this->assertGreaterThanOrEqual((int) $server['startTimeUnixNano'], (int) $server['endTimeUnixNano']);
        $this->assertLessThan(60e9, abs((int) $server['startTimeUnixNano'] - microtime(true) * 1e9), 'Unix epoch nanoseconds');
        $this->assertSame('GET /api/ping', $server['name']);
    }

    public function test_an_invalid_traceparent_is_ignored_and_the_request_starts_a_new_trace(): void
    {
        $this->withTracing();
        $invalid = ['00-'.strtoupper(self::TRACE).'-'.self::CALLER_SPAN.'-01', 'ff-'.self::TRACE.'-'.self::CALLER_SPAN.'-01',
            '00-'.str_repeat('0', 32).'-'.self::CALLER_SPAN.'-01', '00-'.self::TRACE.'-'.self::CALLER_SPAN, 'garbage'];
        $seen = [];

        foreach ($invalid as $header) {
            $this->exports = [];
            $response = $this->withHeader('traceparent', $header)->getJson('/api/ping')->assertOk();
            $server = $this->serverSpan();
            $this->assertArrayNotHasKey('parentSpanId', $server, "{$header}: not a child of an invalid caller");
            $this->assertNotSame(self::TRACE, $server['traceId'], $header);
            $this->assertStringStartsWith("00-{$server['traceId']}-", (string) $response->headers->get('traceresponse'));
            $seen[] = $server['traceId'];
        }
        $this->assertCount(count($invalid), array_unique($seen), 'a new trace each time');
    }

    public function test_a_ratio_of_zero_exports_nothing_and_the_callers_sampled_flag_is_honoured(): void
    {
        $this->withTracing(['OTEL_TRACES_SAMPLER_ARG' => '0']);

        $unsampled = $this->getJson('/api/ping')->assertOk();
        $this->assertSame([], $this->exports, 'ratio 0: nothing sent');
        $this->assertStringEndsWith('-00', (string) $unsampled->headers->get('traceresponse'), 'the trace is still propagated, unsampled');
        $this->assertSame(0.0, $this->counter('app_trace_spans_exported_total'));

        $this->withHeader('traceparent', self::CALLER)->getJson('/api/ping')->assertOk();
        $this->assertSame(self::TRACE, $this->serverSpan()['traceId'], 'parent-based: a sampled caller is recorded whatever the ratio');

        $this->withTracing(['OTEL_TRACES_SAMPLER_ARG' => '1']);
        $this->exports = [];
        $response = $this->withHeader('traceparent', '00-'.self::TRACE.'-'.self::CALLER_SPAN.'-00')->getJson('/api/ping')->assertOk();
        $this->assertSame([], $this->exports, 'an unsampled caller is not recorded whatever the ratio');
        $this->assertStringStartsWith('00-'.self::TRACE.'-', (string) $response->headers->get('traceresponse'));
        $this->assertStringEndsWith('-00', (string) $response->headers->get('traceresponse'));
    }

    public function test_a_server_error_is_an_error_span(): void
    {
        $this->withTracing()->loginAs($this->newUser());
        $this->exports = [];
        config(['database.connections.mysql.port' => 1]);
        DB::purge('mysql');

        $this->getJson('/api/tasks')->assertStatus(500);

        $server = $this->serverSpan();
        $this->assertSame(['code' => 2, 'message' => 'HTTP 500'], $server['status']);
        $this->assertSame(500, self::attributesOf($server)['http.response.status_code']);
    }

    public function test_a_dispatched_job_carries_the_traceparent_and_request_id_and_the_worker_continues_the_trace_in_its_logs(): void
    {
        $this->withTracing()->loginAs($this->newUser());
        $this->exports = [];

        $this->withHeaders(['traceparent' => self::CALLER, 'X-Request-Id' => 'req-trace-job-01'])
            ->postJson('/api/jobs', ['numbers' => [1, 2, 3]])->assertStatus(202);

        $server = $this->serverSpan();
        $producers = $this->spansOfKind(4);
        $this->assertCount(1, $producers, 'one PRODUCER span for the dispatch');
        $producer = $producers[0];
        $this->assertSame([self::TRACE, $server['spanId']], [$producer['traceId'], $producer['parentSpanId']]);
        $this->assertSame('publish default', $producer['name']);
        $payload = json_decode((string) Redis::connection()->command('lindex', ['queues:default', 0]), true);
        $this->assertSame('00-'.self::TRACE."-{$producer['spanId']}-01", $payload['traceparent']);
        $this->assertSame('req-trace-job-01', $payload['request_id']);
        $this->assertSame($payload['uuid'], self::attributesOf($producer)['messaging.message.id']);

        // the worker: another process, here a fresh application running one job
        $this->refreshApplication();
        $this->logToFile();
        $this->exports = [];
        $this->artisan('queue:work', ['connection' => 'redis', '--once' => true, '--sleep' => 0])->assertExitCode(0);
        Log::info('after the job');

        $this->assertCount(1, $this->exports, 'the worker exported after the job');
        $consumers = $this->spansOfKind(5);
        $this->assertCount(1, $consumers);
        $consumer = $consumers[0];
        $this->assertSame([self::TRACE, $producer['spanId']], [$consumer['traceId'], $consumer['parentSpanId']], 'the job is a child of the dispatch');
        $this->assertSame('process default', $consumer['name']);
        $this->assertSame(['App\\Jobs\\GenerateReport', 'processed', 'req-trace-job-01'], [
            self::attributesOf($consumer)['laravel.queue.job'], self::attributesOf($consumer)['laravel.queue.outcome'], self::attributesOf($consumer)['app.request_id'],
        ]);
        $queries = $this->spansOfKind(3);
        $this->assertNotEmpty($queries, "the job's queries");
        foreach ($queries as $query) {
            $this->assertSame([self::TRACE, $consumer['spanId']], [$query['traceId'], $query['parentSpanId']]);
        }

        $records = $this->logRecords();
        $byMessage = array_column($records, null, 'message');
        foreach (['job processing', 'report generated', 'job processed'] as $message) {
            $this->assertArrayHasKey($message, $byMessage, "the worker logged '{$message}'");
            $this->assertSame('req-trace-job-01', $byMessage[$message]['request_id'], $message);
            $this->assertSame(self::TRACE, $byMessage[$message]['trace_id'] ?? null, $message);
            $this->assertSame($consumer['spanId'], $byMessage[$message]['span_id'], $message);
        }
        $this->assertNull($byMessage['after the job']['request_id'], 'nothing of the job stays on the worker');
        $this->assertArrayNotHasKey('trace_id', $byMessage['after the job']);
    }

    public function test_log_lines_of_a_traced_request_carry_its_trace_id_and_span_id(): void
    {
        $this->withTracing()->loginAs($this->newUser());
        $this->logToFile();
        $this->exports = [];

        $this->withHeaders(['traceparent' => self::CALLER, 'X-Request-Id' => 'req-trace-log-1'])
            ->postJson('/api/tasks', ['title' => 'logged'])->assertCreated();

        $server = $this->serverSpan();
        $created = array_values(array_filter($this->logRecords(), fn ($r) => $r['message'] === 'task created'));
        $this->assertCount(1, $created);
        $this->assertSame(
            ['request_id' => 'req-trace-log-1', 'trace_id' => self::TRACE, 'span_id' => $server['spanId']],
            array_intersect_key($created[0], array_flip(['request_id', 'trace_id', 'span_id'])),
        );
    }

    public function test_an_unreachable_collector_costs_the_request_nothing_and_counts_the_dropped_spans(): void
    {
        // a closed port on 127.0.0.1: the real HTTP client, connection refused
        $this->withTracing(['OTEL_EXPORTER_OTLP_ENDPOINT' => 'http://127.0.0.1:1'], fake: false);

        $this->getJson('/api/ping')->assertOk();
        $this->getJson('/api/ping')->assertOk();

        $this->assertSame(2.0, $this->counter('app_trace_spans_dropped_total{reason="export_error"}'));
        $this->assertSame(0.0, $this->counter('app_trace_spans_exported_total'));
    }

    public function test_a_collector_that_accepts_and_never_answers_is_given_up_after_the_timeout(): void
    {
        // a listening socket nobody accepts from: the TCP connect succeeds, no byte ever comes back
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        $this->assertNotFalse($server, $error);
        $port = (int) substr((string) strrchr((string) stream_socket_get_name($server, false), ':'), 1);
        $this->withTracing([
            'OTEL_EXPORTER_OTLP_ENDPOINT' => "http://127.0.0.1:{$port}", 'OTEL_EXPORTER_OTLP_TIMEOUT' => '300', 'TRACING_CONNECT_TIMEOUT_MS' => '200',
        ], fake: false);

        $started = hrtime(true);
        $this->getJson('/api/ping')->assertOk();
        $seconds = (hrtime(true) - $started) / 1e9;
        fclose($server);

        $this->assertSame(1.0, $this->counter('app_trace_spans_dropped_total{reason="export_error"}'));
        // the request and its after-response export, bounded by the 0.3 s timeout (PHP's default would be 60 s)
        $this->assertLessThan(3.0, $seconds);
    }

    public function test_after_a_failed_export_nothing_is_sent_during_the_backoff(): void
    {
        $endpoint = 'http://backoff-'.bin2hex(random_bytes(4)).'.test:4318';
        $this->withTracing(['OTEL_EXPORTER_OTLP_ENDPOINT' => $endpoint, 'TRACING_BACKOFF_SECONDS' => '60'],
            respond: fn () => new MockResponse('{"message":"overloaded"}', ['http_code' => 503]));

        foreach (range(1, 3) as $request) {
            $this->getJson('/api/ping')->assertOk();
        }

        $this->assertCount(1, $this->exports, 'one attempt, then the backoff');
        $this->assertSame(1.0, $this->counter('app_trace_spans_dropped_total{reason="export_error"}'));
        $this->assertSame(2.0, $this->counter('app_trace_spans_dropped_total{reason="backoff"}'));
        apcu_delete('lks_tracing_backoff:'.md5($endpoint));
    }

    public function test_the_span_buffer_is_bounded_and_the_overflow_is_counted(): void
    {
        $this->withTracing(['OTEL_BSP_MAX_QUEUE_SIZE' => '2'])->loginAs($this->newUser());
        $this->app->make(\App\Metrics\Registry::class)->wipe();
        $this->exports = [];

        $this->postJson('/api/tasks', ['title' => 'many spans'])->assertCreated();

        $this->assertCount(2, $this->exportedSpans());
        $this->assertSame(2.0, $this->counter('app_trace_spans_exported_total'));
        $this->assertGreaterThan(0.0, $this->counter('app_trace_spans_dropped_total{reason="queue_full"}'));
    }

    public function test_the_probes_and_the_scrape_get_no_span(): void
    {
        $this->withTracing();

        foreach (['/health', '/metrics'] as $path) {
            $response = $this->get($path);
            $this->assertFalse($response->headers->has('traceresponse'), $path);
        }
        $this->assertSame([], $this->exports);
    }

    public function test_without_an_endpoint_tracing_is_off_no_header_no_trace_id_and_redis_events_stay_off(): void
    {
        $this->assertSame('', (string) config('tracing.endpoint'));
        $this->loginAs($this->newUser());
        $this->logToFile();

        $response = $this->withHeaders(['traceparent' => self::CALLER, 'X-Request-Id' => 'req-untraced-01'])
            ->postJson('/api/jobs', ['numbers' => [1]]);

        $response->assertStatus(202);
        $this->assertFalse($response->headers->has('traceresponse'));
        foreach ($this->logRecords() as $record) {
            $this->assertArrayNotHasKey('trace_id', $record);
        }
        $this->assertNull(Redis::connection()->getEventDispatcher(), 'no CommandExecuted per Redis command');
        $payload = json_decode((string) Redis::connection()->command('lindex', ['queues:default', 0]), true);
        $this->assertArrayNotHasKey('traceparent', $payload);
        $this->assertSame('req-untraced-01', $payload['request_id'], 'the request id still travels with the job');
    }
}
