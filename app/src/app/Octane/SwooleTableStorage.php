<?php

namespace App\Octane;

use App\Metrics\SeriesKey;
use App\Metrics\Storage;
use Swoole\Table;

/**
 * Octane/Swoole: the registry's samples in a Swoole Table created before the workers fork, so
 * every worker adds to the same rows (Table::incr is atomic). Row keys are limited to 63 bytes:
 * the row is addressed by a hash and carries the full series key in its `key` column.
 */
final class SwooleTableStorage implements Storage
{
    public function __construct(private readonly Table $table)
    {
    }

    public function increment(string $name, array $labels, float $by = 1): void
    {
        $this->add(SeriesKey::encode($name, '', $labels), $by);
    }

    public function set(string $name, array $labels, float $value): void
    {
        $key = 'g'.SeriesKey::encode($name, '', $labels);
        $this->table->set(md5($key), ['key' => $key, 'value' => $value]);
    }

    public function observe(string $name, array $labels, float $value, array $buckets): void
    {
        foreach (SeriesKey::histogramIncrements($name, $labels, $value, $buckets) as $key => $by) {
            $this->add($key, $by);
        }
    }

    public function samples(): array
    {
        $out = [];
        foreach ($this->table as $row) {
            $key = (string) $row['key'];
            if ($key === '') {
                continue; // created by incr() an instant before its key column was written
            }
            [$name, $suffix, $labels] = SeriesKey::decode(substr($key, 1));
            $out[] = [$name, $suffix, $labels, (float) $row['value']];
        }

        return $out;
    }

    public function wipe(): void
    {
        $keys = [];
        foreach ($this->table as $hash => $row) {
            $keys[] = $hash;
        }
        foreach ($keys as $hash) {
            $this->table->del($hash);
        }
    }

    private function add(string $seriesKey, float $by): void
    {
        $key = 'c'.$seriesKey;
        $hash = md5($key);
        if (! $this->table->exists($hash)) {
            $this->table->set($hash, ['key' => $key]); // value column stays as it is (0 when new)
        }
        $this->table->incr($hash, 'value', $by);
    }
}
