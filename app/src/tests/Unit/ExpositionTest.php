<?php

namespace Tests\Unit;

use App\Metrics\Exposition;
use App\Metrics\Storage\MemoryStorage;
use PHPUnit\Framework\Attributes\Group;
use PHPUnit\Framework\TestCase;

#[Group('custom-prometheus-metrics')]
class ExpositionTest extends TestCase
{
    private const FAMILIES = [
        'demo_requests_total' => ['type' => 'counter', 'help' => 'Demo "requests".'],
        'demo_seconds' => ['type' => 'histogram', 'help' => "Demo\nlatency.", 'buckets' => [0.1, 1]],
    ];

    public function test_a_counter_is_written_with_help_type_and_sorted_escaped_labels(): void
    {
        $storage = new MemoryStorage();
        $storage->increment('demo_requests_total', ['status' => '200', 'route' => 'api/tasks/{task}']);
        $storage->increment('demo_requests_total', ['status' => '200', 'route' => 'api/tasks/{task}'], 2);
        $storage->increment('demo_requests_total', ['route' => "a\"b\\c\nd", 'status' => '500']);

        $text = Exposition::render(self::FAMILIES, $storage->samples());

        $this->assertSame(
            "# HELP demo_requests_total Demo \"requests\".\n"
            ."# TYPE demo_requests_total counter\n"
            ."demo_requests_total{route=\"a\\\"b\\\\c\\nd\",status=\"500\"} 1\n"
            ."demo_requests_total{route=\"api/tasks/{task}\",status=\"200\"} 3\n",
            $text,
        );
    }

    public function test_a_histogram_has_cumulative_buckets_ending_in_inf_then_sum_and_count(): void
    {
        $storage = new MemoryStorage();
        foreach ([0.05, 0.1, 0.5, 3.0] as $v) {
            $storage->observe('demo_seconds', ['route' => 'r'], $v, [0.1, 1]);
        }

        $text = Exposition::render(self::FAMILIES, $storage->samples());

        $this->assertSame(
            "# HELP demo_seconds Demo\\nlatency.\n"
            ."# TYPE demo_seconds histogram\n"
            ."demo_seconds_bucket{route=\"r\",le=\"0.1\"} 2\n"
            ."demo_seconds_bucket{route=\"r\",le=\"1\"} 3\n"
            ."demo_seconds_bucket{route=\"r\",le=\"+Inf\"} 4\n"
            ."demo_seconds_sum{route=\"r\"} 3.65\n"
            ."demo_seconds_count{route=\"r\"} 4\n",
            $text,
        );
    }

    public function test_numbers_are_written_as_prometheus_reads_them(): void
    {
        $this->assertSame('0', Exposition::number(0));
        $this->assertSame('42', Exposition::number(42.0));
        $this->assertSame('0.25', Exposition::number(0.25));
        $this->assertSame('+Inf', Exposition::number(INF));
        $this->assertSame('NaN', Exposition::number(NAN));
        $this->assertEqualsWithDelta(1.0e-7, (float) Exposition::number(1.0e-7), 1e-15);
    }

    public function test_families_without_samples_and_unknown_names_are_left_out(): void
    {
        $storage = new MemoryStorage();
        $storage->increment('not_declared_total', []);

        $this->assertSame('', Exposition::render(self::FAMILIES, $storage->samples()));
    }
}
