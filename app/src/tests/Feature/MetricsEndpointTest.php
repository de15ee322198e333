<?php

namespace Tests\Feature;

use Illuminate\Support\Facades\Cache;
use Illuminate\Support\Facades\Log;
use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

class MetricsEndpointTest extends TestCase
{
    private function scrape(): string
    {
        $response = $this->get('/metrics');
        $response->assertOk();
        $this->assertStringStartsWith('text/plain; version=0.0.4', (string) $response->headers->get('Content-Type'));

        return (string) $response->getContent();
    }

    /** Value of one exact series line, or null. */
    private function value(string $text, string $series): ?float
    {
        foreach (explode("\n", $text) as $line) {
            if (str_starts_with($line, $series.' ')) {
                return (float) substr($line, strlen($series) + 1);
            }
        }

        return null;
    }

    #[Group('custom-prometheus-metrics')]
    public function test_requests_are_counted_by_method_route_pattern_and_status(): void
    {
        $owner = $this->newUser();
        $task = $owner->tasks()->create(['title' => 'counted']);
        $this->loginAs($owner)->getJson("/api/tasks/{$task->id}")->assertOk();
        $this->getJson('/api/tasks/999999')->assertNotFound();
        $this->getJson('/api/ping')->assertOk();
        $this->getJson('/api/ping')->assertOk();
        $this->getJson('/no/such/page/'.random_int(1, 1000))->assertNotFound();
        $this->deleteJson('/api/ping')->assertStatus(405);

        $text = $this->scrape();

        $this->assertSame(1.0, $this->value($text, 'http_requests_total{method="GET",route="api/tasks/{task}",status="200"}'));
        $this->assertSame(1.0, $this->value($text, 'http_requests_total{method="GET",route="api/tasks/{task}",status="404"}'));
        $this->assertSame(2.0, $this->value($text, 'http_requests_total{method="GET",route="api/ping",status="200"}'));
        $this->assertSame(1.0, $this->value($text, 'http_requests_total{method="GET",route="unmatched",status="404"}'));
        $this->assertSame(1.0, $this->value($text, 'http_requests_total{method="DELETE",route="unmatched",status="405"}'));
        $this->assertDoesNotMatchRegularExpression('/route="[^"]*(999999|no\/such)/', $text, 'raw paths never become label values');
    }

    #[Group('custom-prometheus-metrics')]
    #[Group('structured-logs')]
    public function test_log_records_are_counted_by_level_as_the_channel_writes_them(): void
    {
        // the stderr channel as production runs it (phpunit.xml discards logs), into a file, at info
        $file = tempnam(sys_get_temp_dir(), 'lks-log-');
        config([
            'logging.default' => 'stderr',
            'logging.channels.stderr.with.stream' => $file,
            'logging.channels.stderr.level' => 'info',
        ]);
        Log::forgetChannel('stderr');
        $before = $this->scrape();
        Log::error('counted error');
        Log::warning('counted warning');
        Log::warning('counted warning');
        Log::debug('below the channel level: not written, not counted');

        $after = $this->scrape();

        foreach (['error' => 1.0, 'warning' => 2.0] as $level => $grew) {
            $series = "app_log_records_total{level=\"{$level}\"}";
            $this->assertSame($grew, $this->value($after, $series) - ($this->value($before, $series) ?? 0.0), $series);
        }
        $this->assertNull($this->value($after, 'app_log_records_total{level="debug"}'));
        $this->assertStringContainsString('counted error', (string) file_get_contents($file));
        @unlink($file);
    }

    #[Group('custom-prometheus-metrics')]
    public function test_request_latency_is_a_histogram_with_the_contract_buckets(): void
    {
        $this->getJson('/api/stress?ms=30')->assertOk();

        $text = $this->scrape();

        $this->assertStringContainsString("# TYPE http_request_duration_seconds histogram\n", $text);
        $series = 'http_request_duration_seconds_bucket{method="GET",route="api/stress",le="%s"}';
        $seconds = $this->value($text, 'http_request_duration_seconds_sum{method="GET",route="api/stress"}');
        $this->assertGreaterThanOrEqual(0.03, $seconds);
        $this->assertSame(0.0, $this->value($text, sprintf($series, '0.025')), 'a 30 ms request is not under 25 ms');
        // cumulative: the one request counts in every bucket from its measured duration up (how far
        // above 30 ms it took is the machine's business: a busy one takes longer than 50 ms)
        foreach (['0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10'] as $le) {
            $this->assertSame($seconds <= (float) $le ? 1.0 : 0.0, $this->value($text, sprintf($series, $le)), "bucket le={$le}");
        }
        $this->assertSame(1.0, $this->value($text, sprintf($series, '+Inf')));
        $this->assertSame(1.0, $this->value($text, 'http_request_duration_seconds_count{method="GET",route="api/stress"}'));
    }

    #[Group('custom-prometheus-metrics')]
    public function test_the_exposition_declares_each_family_once_before_its_samples(): void
    {
        $this->getJson('/api/ping');
        $text = $this->scrape();

        $seen = [];
        foreach (explode("\n", trim($text)) as $line) {
            if (preg_match('/^# TYPE (\S+) (counter|gauge|histogram|untyped)$/', $line, $m)) {
                $this->assertArrayNotHasKey($m[1], $seen, "TYPE of {$m[1]} once");
                $seen[$m[1]] = true;

                continue;
            }
            if (str_starts_with($line, '# HELP ')) {
                continue;
            }
            $this->assertMatchesRegularExpression('/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+$/', $line);
            $family = preg_replace('/(_bucket|_sum|_count)?(\{.*)?( .*)$/', '', $line);
            $this->assertTrue(isset($seen[$family]) || isset($seen[preg_replace('/_(bucket|sum|count)$/', '', $family)]), "sample {$line} after its TYPE");
        }
    }

    #[Group('php-laravel-metrics')]
    public function test_database_query_time_is_a_histogram_per_connection(): void
    {
        $owner = $this->newUser();
        $owner->tasks()->create(['title' => 'query me']);
        $this->loginAs($owner)->getJson('/api/tasks')->assertOk()->assertJsonPath('meta.total', 1);

        $text = $this->scrape();

        $this->assertGreaterThanOrEqual(2.0, $this->value($text, 'laravel_db_query_duration_seconds_count{connection="mysql"}'));
        $this->assertSame(
            $this->value($text, 'laravel_db_query_duration_seconds_count{connection="mysql"}'),
            $this->value($text, 'laravel_db_query_duration_seconds_bucket{connection="mysql",le="+Inf"}'),
        );
    }

    #[Group('php-laravel-metrics')]
    public function test_cache_hits_and_misses_are_counted_per_store(): void
    {
        Cache::get('absent-key');
        Cache::put('present-key', 'v', 60);
        Cache::get('present-key');
        Cache::get('present-key');

        $text = $this->scrape();

        $this->assertSame(2.0, $this->value($text, 'laravel_cache_hits_total{store="redis"}'));
        $this->assertSame(1.0, $this->value($text, 'laravel_cache_misses_total{store="redis"}'));
    }

    #[Group('php-laravel-metrics')]
    public function test_queue_size_and_the_workers_counters_are_exported_from_redis(): void
    {
        $this->loginAs($this->newUser());
        $ok = $this->postJson('/api/jobs', ['numbers' => [1]])->json('data.id');
        $this->postJson('/api/jobs', ['numbers' => [1], 'fail_attempts' => 10]);
        $this->assertSame(2.0, $this->value($this->scrape(), 'laravel_queue_size{queue="default"}'));

        foreach (range(1, 4) as $i) { // 1 success + 3 attempts of the failing one
            $this->artisan('queue:work', ['connection' => 'redis', '--once' => true, '--sleep' => 0])->assertExitCode(0);
            $this->refreshApplication(); // the next worker process
        }
        $this->anotherReplica(); // another pod's /metrics sees the worker's counters

        $text = $this->scrape();
        $this->assertSame(0.0, $this->value($text, 'laravel_queue_size{queue="default"}'));
        $this->assertSame(1.0, $this->value($text, 'laravel_queue_jobs_processed_total{job="App\\\\Jobs\\\\GenerateReport",queue="default"}'));
        $this->assertSame(1.0, $this->value($text, 'laravel_queue_jobs_failed_total{job="App\\\\Jobs\\\\GenerateReport",queue="default"}'));
        $this->assertNotNull($ok);
    }

    #[Group('php-laravel-metrics')]
    public function test_app_info_memory_and_opcache_state_of_the_serving_process_are_exported(): void
    {
        $text = $this->scrape();

        $this->assertSame(1.0, $this->value($text, sprintf('app_info{runtime="%s",version="%s"}', config('app.runtime'), config('app.version'))));
        $this->assertGreaterThan(1_000_000, $this->value($text, 'php_memory_usage_bytes'));
        $this->assertGreaterThanOrEqual($this->value($text, 'php_memory_usage_bytes'), $this->value($text, 'php_memory_peak_bytes'));
        // the CLI running this test has OPcache off (opcache.enable_cli=0); the FPM scrape in the
        // Python suite checks the serving SAPI's numbers
        $this->assertSame(0.0, $this->value($text, 'opcache_enabled'));
    }
}
