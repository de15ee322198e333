<?php

namespace Tests\Octane;

use Illuminate\Http\Request;
use Laravel\Octane\ApplicationFactory;
use Laravel\Octane\Testing\Fakes\FakeClient;
use Laravel\Octane\Testing\Fakes\FakeWorker;
use PHPUnit\Framework\Attributes\Group;
use Tests\Feature\Concerns\RecordsTraces;

/**
 * The trace of one request must not become the next one's on the same Octane worker: the Tracer
 * is scoped (forgotten after each request), so each request's SERVER span, traceresponse, export
 * and log ids are its own. Several requests through ONE worker, each asserted on its own.
 */
#[Group('swoole-memory-leak-prevention')]
class OctaneTraceIsolationTest extends SwooleTestCase
{
    use RecordsTraces;

    private const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

    private const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

    public function test_the_trace_of_one_request_does_not_leak_into_the_next_on_the_same_worker(): void
    {
        if (! class_exists(FakeWorker::class)) {
            $this->markTestSkipped('laravel/octane is not installed next to ext-swoole in this PHP: its FakeWorker runs these requests');
        }
        $this->withTracing(); // the environment the worker's application boots with, and the fake collector
        $requests = [
            Request::create('/api/ping', 'GET', server: ['HTTP_TRACEPARENT' => '00-'.self::A.'-1111111111111111-01']),
            Request::create('/api/ping', 'GET'),
            Request::create('/api/ping', 'GET', server: ['HTTP_TRACEPARENT' => '00-'.self::B.'-2222222222222222-01']),
            Request::create('/api/ping', 'GET'),
        ];
        $client = new FakeClient($requests);
        $worker = new FakeWorker(new ApplicationFactory(base_path()), $client);
        $worker->boot();
        $worker->application()->instance('tracing.http_client', $this->app->make('tracing.http_client'));
        $worker->run();
        $worker->terminate();

        $traces = array_map(function ($response) {
            $this->assertSame(200, $response->getStatusCode());
            $this->assertMatchesRegularExpression('/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/', (string) $response->headers->get('traceresponse'));

            return explode('-', (string) $response->headers->get('traceresponse'))[1];
        }, $client->responses);

        $this->assertSame(self::A, $traces[0]);
        $this->assertNotContains($traces[1], [self::A, self::B], 'a request without a caller got the previous trace');
        $this->assertSame(self::B, $traces[2]);
        $this->assertNotContains($traces[3], [self::A, self::B, $traces[1]]);
        $this->assertCount(4, $this->exports, 'one export per request');
        foreach ($this->exports as $i => $export) {
            $spans = $export['body']['resourceSpans'][0]['scopeSpans'][0]['spans'];
            $this->assertSame([$traces[$i]], array_values(array_unique(array_column($spans, 'traceId'))), "export {$i} holds only its own request's spans");
            $this->assertCount(1, array_filter($spans, fn ($s) => $s['kind'] === 2));
        }
        $this->assertSame('1111111111111111', $this->exports[0]['body']['resourceSpans'][0]['scopeSpans'][0]['spans'][0]['parentSpanId'] ?? null);
        $this->assertArrayNotHasKey('parentSpanId', $this->exports[1]['body']['resourceSpans'][0]['scopeSpans'][0]['spans'][0]);
    }
}
