<?php

namespace Tests\Unit;

use App\Tracing\OtlpJsonExporter;
use App\Tracing\Sampler;
use App\Tracing\Span;
use App\Tracing\SpanKind;
use App\Tracing\TraceContext;
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\Attributes\Group;
use PHPUnit\Framework\TestCase;
use Psr\Log\AbstractLogger;
use Symfony\Component\HttpClient\MockHttpClient;
use Symfony\Component\HttpClient\Response\MockResponse;

/**
 * The tracer's parts without the framework: W3C traceparent parsing, the sampler, and the OTLP
 * JSON body the exporter POSTs (captured with Symfony's MockHttpClient, as S3AdapterTest does).
 */
#[Group('tracing')]
class TracingPrimitivesTest extends TestCase
{
    private const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

    public function test_a_valid_traceparent_gives_its_trace_id_span_id_and_sampled_flag(): void
    {
        $context = TraceContext::fromTraceparent(self::CALLER);

        $this->assertNotNull($context);
        $this->assertSame('4bf92f3577b34da6a3ce929d0e0e4736', $context->traceId);
        $this->assertSame('00f067aa0ba902b7', $context->spanId);
        $this->assertTrue($context->sampled);
        $this->assertSame(self::CALLER, $context->traceparent());
        $this->assertFalse(TraceContext::fromTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')->sampled);
        // a later version may add fields; the flags' other bits are not "sampled"
        $this->assertSame('00f067aa0ba902b7', TraceContext::fromTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02-extra')?->spanId);
        $this->assertFalse(TraceContext::fromTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02-extra')->sampled);
    }

    /** @return array<string, array{0: ?string}> */
    public static function invalidTraceparents(): array
    {
        return [
            'absent' => [null],
            'empty' => [''],
            'upper-case hex' => ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
            'version ff' => ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
            'all-zero trace id' => ['00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
            'all-zero span id' => ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
            'short trace id' => ['00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
            'version 00 with a fifth field' => ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x'],
            'not hex' => ['00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01'],
            'garbage' => ['hello'],
        ];
    }

    #[DataProvider('invalidTraceparents')]
    public function test_an_invalid_traceparent_is_no_context(?string $header): void
    {
        $this->assertNull(TraceContext::fromTraceparent($header));
    }

    public function test_new_ids_are_random_lower_case_hex_of_the_w3c_lengths(): void
    {
        $traces = array_map(fn () => TraceContext::newTraceId(), range(1, 50));
        $spans = array_map(fn () => TraceContext::newSpanId(), range(1, 50));

        $this->assertCount(50, array_unique($traces));
        $this->assertCount(50, array_unique($spans));
        foreach ($traces as $id) {
            $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $id);
        }
        foreach ($spans as $id) {
            $this->assertMatchesRegularExpression('/^[0-9a-f]{16}$/', $id);
        }
    }

    public function test_the_ratio_sampler_keeps_about_its_ratio_decides_the_same_for_a_trace_id_and_follows_a_parent(): void
    {
        $half = new Sampler('parentbased_traceidratio', 0.25);
        $ids = array_map(fn () => TraceContext::newTraceId(), range(1, 2000));
        $kept = count(array_filter($ids, fn ($id) => $half->shouldSample($id, null)));

        // binomial(2000, 0.25): mean 500, sd 19.4; 380..620 is more than 6 sd either side
        $this->assertGreaterThan(380, $kept);
        $this->assertLessThan(620, $kept);
        foreach (array_slice($ids, 0, 100) as $id) {
            $this->assertSame($half->shouldSample($id, null), (new Sampler('traceidratio', 0.25))->shouldSample($id, null));
        }
        $sampledCaller = TraceContext::fromTraceparent(self::CALLER);
        $unsampledCaller = new TraceContext($sampledCaller->traceId, $sampledCaller->spanId, false);
        $this->assertTrue((new Sampler('parentbased_traceidratio', 0.0))->shouldSample($sampledCaller->traceId, $sampledCaller));
        $this->assertFalse((new Sampler('parentbased_traceidratio', 1.0))->shouldSample($unsampledCaller->traceId, $unsampledCaller));
        $this->assertFalse((new Sampler('traceidratio', 0.0))->shouldSample($sampledCaller->traceId, $sampledCaller), 'traceidratio ignores the caller');
        $this->assertFalse((new Sampler('always_off', 1.0))->shouldSample($sampledCaller->traceId, null));
        $this->assertTrue((new Sampler('no-such-sampler', 1.0))->shouldSample($sampledCaller->traceId, null), 'an unknown name is the default');
    }

    public function test_the_exporter_posts_one_otlp_json_document_to_v1_traces(): void
    {
        $sent = [];
        $http = new MockHttpClient(function (string $method, string $url, array $options) use (&$sent) {
            $sent[] = [$method, $url, $options['normalized_headers']['content-type'][0] ?? '', json_decode($options['body'], true)];

            return new MockResponse('{"partialSuccess":{}}', ['http_code' => 200]);
        });
        $exporter = new OtlpJsonExporter($http, 'http://collector:4318', [
            'service.name' => 'shop', 'service.version' => '2.0.0', 'deployment.environment' => 'testing', 'app.runtime' => 'fpm',
        ], 0.2, 0.5, 0.0, '2.0.0');
        $root = new Span('GET /api/tasks', SpanKind::Server, new TraceContext('4bf92f3577b34da6a3ce929d0e0e4736', '1111111111111111', true), '00f067aa0ba902b7', 1_700_000_000_000_000_000);
        $root->setAttributes(['http.response.status_code' => 500, 'http.route' => '/api/tasks', 'ratio' => 0.5, 'cached' => false, 'skipped' => null])->fail('HTTP 500');
        $root->endNs = 1_700_000_000_250_000_000;
        $child = new Span('SELECT laravel', SpanKind::Client, new TraceContext($root->context->traceId, '2222222222222222', true), '1111111111111111', 1_700_000_000_100_000_000);
        $child->endNs = 1_700_000_000_100_500_000;

        $this->assertNull($exporter->export([$root, $child]));

        $this->assertCount(1, $sent);
        [$method, $url, $contentType, $body] = $sent[0];
        $this->assertSame(['POST', 'http://collector:4318/v1/traces', 'Content-Type: application/json'], [$method, $url, $contentType]);
        $this->assertSame([
            'resourceSpans' => [[
                'resource' => ['attributes' => [
                    ['key' => 'service.name', 'value' => ['stringValue' => 'shop']],
                    ['key' => 'service.version', 'value' => ['stringValue' => '2.0.0']],
                    ['key' => 'deployment.environment', 'value' => ['stringValue' => 'testing']],
                    ['key' => 'app.runtime', 'value' => ['stringValue' => 'fpm']],
                ]],
                'scopeSpans' => [[
                    'scope' => ['name' => 'App\\Tracing', 'version' => '2.0.0'],
                    'spans' => [
                        [
                            'traceId' => '4bf92f3577b34da6a3ce929d0e0e4736',
                            'spanId' => '1111111111111111',
                            'parentSpanId' => '00f067aa0ba902b7',
                            'name' => 'GET /api/tasks',
                            'kind' => 2,
                            'startTimeUnixNano' => '1700000000000000000',
                            'endTimeUnixNano' => '1700000000250000000',
                            'attributes' => [
                                ['key' => 'http.response.status_code', 'value' => ['intValue' => '500']],
                                ['key' => 'http.route', 'value' => ['stringValue' => '/api/tasks']],
                                ['key' => 'ratio', 'value' => ['doubleValue' => 0.5]],
                                ['key' => 'cached', 'value' => ['boolValue' => false]],
                            ],
                            'status' => ['code' => 2, 'message' => 'HTTP 500'],
                        ],
                        [
                            'traceId' => '4bf92f3577b34da6a3ce929d0e0e4736',
                            'spanId' => '2222222222222222',
                            'parentSpanId' => '1111111111111111',
                            'name' => 'SELECT laravel',
                            'kind' => 3,
                            'startTimeUnixNano' => '1700000000100000000',
                            'endTimeUnixNano' => '1700000000100500000',
                            'attributes' => [],
                            'status' => ['code' => 0],
                        ],
                    ],
                ]],
            ]],
        ], $body);
    }

    public function test_a_refusing_or_silent_collector_drops_the_spans_and_the_backoff_holds_the_next_export(): void
    {
        $span = new Span('GET', SpanKind::Server, new TraceContext(TraceContext::newTraceId(), TraceContext::newSpanId(), true), null, 1);
        $calls = 0;
        $refusing = new OtlpJsonExporter(new MockHttpClient(function () use (&$calls) {
            $calls++;

            return new MockResponse('unavailable', ['http_code' => 503]);
        }), 'http://refusing-'.bin2hex(random_bytes(4)).'.test', [], 0.2, 0.5, 30.0);
        // an empty chunk is MockResponse's idle timeout
        $silent = new OtlpJsonExporter(new MockHttpClient(new MockResponse((function () {
            yield '';
        })())), 'http://silent.test', [], 0.2, 0.5);

        $this->assertSame(OtlpJsonExporter::DROPPED_ERROR, $refusing->export([$span]));
        $this->assertSame(OtlpJsonExporter::DROPPED_BACKOFF, $refusing->export([$span]));
        $this->assertSame(1, $calls, 'within the backoff nothing is sent');
        $this->assertSame(OtlpJsonExporter::DROPPED_ERROR, $silent->export([$span]));
        $this->assertNull($silent->export([]), 'nothing to send is no failure');
    }

    public function test_a_failed_export_is_one_warning_with_its_reason_and_the_backoff_keeps_it_to_one(): void
    {
        $span = new Span('GET', SpanKind::Server, new TraceContext(TraceContext::newTraceId(), TraceContext::newSpanId(), true), null, 1);
        $log = new class extends AbstractLogger
        {
            /** @var list<array{string, string, array<string, mixed>}> */
            public array $records = [];

            public function log($level, \Stringable|string $message, array $context = []): void
            {
                $this->records[] = [(string) $level, (string) $message, $context];
            }
        };
        $endpoint = 'http://refusing-'.bin2hex(random_bytes(4)).'.test';
        $refusing = new OtlpJsonExporter(new MockHttpClient(new MockResponse('unavailable', ['http_code' => 503])),
            $endpoint, [], 0.2, 0.5, 30.0, '', $log);
        $silent = new OtlpJsonExporter(new MockHttpClient(new MockResponse((function () {
            yield '';
        })())), 'http://silent.test', [], 0.2, 0.5, 0.0, '', $log);

        $refusing->export([$span, $span]);
        $refusing->export([$span]);
        $silent->export([$span]);

        $this->assertCount(2, $log->records, 'one line per failed export, none while backing off');
        [[$level, $message, $context], [, , $timeout]] = $log->records;
        $this->assertSame(['warning', 'trace export failed'], [$level, $message]);
        $this->assertSame(['endpoint' => $endpoint.'/v1/traces', 'reason' => 'HTTP 503', 'spans_dropped' => 2,
            'backoff_seconds' => 30.0], $context);
        $this->assertStringContainsString('Idle timeout', $timeout['reason']);
    }
}
