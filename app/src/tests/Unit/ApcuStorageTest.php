<?php

namespace Tests\Unit;

use App\Metrics\Storage\ApcuStorage;
use PHPUnit\Framework\Attributes\Group;
use PHPUnit\Framework\TestCase;

/** APCu is the FPM pool's shared memory; in the CLI it needs apc.enable_cli (set in the php-test image). */
#[Group('custom-prometheus-metrics')]
class ApcuStorageTest extends TestCase
{
    private ApcuStorage $storage;

    protected function setUp(): void
    {
        $this->storage = new ApcuStorage('lks_unit_'.bin2hex(random_bytes(4)));
    }

    protected function tearDown(): void
    {
        $this->storage->wipe();
    }

    /** @return array<string, float> */
    private function values(): array
    {
        $out = [];
        foreach ($this->storage->samples() as [$name, $suffix, $labels, $value]) {
            ksort($labels);
            $out[$name.$suffix.json_encode($labels)] = $value;
        }
        ksort($out);

        return $out;
    }

    public function test_counters_add_up_and_keep_fractions(): void
    {
        $this->storage->increment('c_total', ['a' => 'x']);
        $this->storage->increment('c_total', ['a' => 'x'], 2.5);
        $this->storage->increment('c_total', ['a' => 'y']);

        $this->assertSame(['c_total{"a":"x"}' => 3.5, 'c_total{"a":"y"}' => 1.0], $this->values());
    }

    public function test_label_order_does_not_create_a_second_series(): void
    {
        $this->storage->increment('c_total', ['a' => '1', 'b' => '2']);
        $this->storage->increment('c_total', ['b' => '2', 'a' => '1']);

        $this->assertSame(['c_total{"a":"1","b":"2"}' => 2.0], $this->values());
    }

    public function test_a_histogram_observation_lands_in_its_bucket_count_and_sum(): void
    {
        $this->storage->observe('h', ['r' => 'x'], 0.2, [0.1, 0.5, 1]);
        $this->storage->observe('h', ['r' => 'x'], 7.0, [0.1, 0.5, 1]);

        $this->assertSame([
            'h_bucket{"le":"+Inf","r":"x"}' => 1.0,
            'h_bucket{"le":"0.5","r":"x"}' => 1.0,
            'h_count{"r":"x"}' => 2.0,
            'h_sum{"r":"x"}' => 7.2,
        ], $this->values());
    }

    public function test_gauges_are_overwritten(): void
    {
        $this->storage->set('g', [], 5);
        $this->storage->set('g', [], 3.25);

        $this->assertSame(['g[]' => 3.25], $this->values());
    }

    public function test_samples_are_shared_between_processes_through_apcu(): void
    {
        // a second storage object on the same prefix sees the same memory (as another FPM worker would)
        $prefix = 'lks_unit_shared_'.bin2hex(random_bytes(4));
        $a = new ApcuStorage($prefix);
        $b = new ApcuStorage($prefix);
        $a->increment('c_total', []);
        $b->increment('c_total', []);

        $this->assertSame(2.0, $a->samples()[0][3]);
        $a->wipe();
        $this->assertSame([], $b->samples());
    }
}
