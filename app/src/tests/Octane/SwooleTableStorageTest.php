<?php

namespace Tests\Octane;

use App\Octane\SwooleTableStorage;
use PHPUnit\Framework\Attributes\Group;
use Swoole\Table;

#[Group('swoole-metrics')]
class SwooleTableStorageTest extends SwooleTestCase
{
    protected array $truncate = [];

    private function table(): Table
    {
        $table = new Table(256);
        $table->column('key', Table::TYPE_STRING, 512);
        $table->column('value', Table::TYPE_FLOAT);
        $table->create();

        return $table;
    }

    public function test_counters_and_histograms_accumulate_in_the_shared_table(): void
    {
        $storage = new SwooleTableStorage($this->table());
        $storage->increment('c_total', ['route' => str_repeat('long/', 30)]); // key far above Swoole's 63 bytes
        $storage->increment('c_total', ['route' => str_repeat('long/', 30)], 2);
        $storage->observe('h', [], 0.3, [0.1, 1]);

        $values = [];
        foreach ($storage->samples() as [$name, $suffix, $labels, $value]) {
            $values[$name.$suffix.($labels['le'] ?? '')] = $value;
        }

        $this->assertSame(3.0, $values['c_total']);
        $this->assertSame(1.0, $values['h_bucket1']);
        $this->assertSame(1.0, $values['h_count']);
        $this->assertEqualsWithDelta(0.3, $values['h_sum'], 1e-9);
    }

    public function test_the_table_is_shared_with_a_forked_worker(): void
    {
        $table = $this->table();
        $storage = new SwooleTableStorage($table);
        $pid = pcntl_fork();
        if ($pid === 0) {
            (new SwooleTableStorage($table))->increment('c_total', []);
            exit(0);
        }
        pcntl_waitpid($pid, $status);
        $storage->increment('c_total', []);

        $this->assertSame(2.0, $storage->samples()[0][3]);
    }
}
