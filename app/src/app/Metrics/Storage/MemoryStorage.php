<?php

namespace App\Metrics\Storage;

use App\Metrics\SeriesKey;
use App\Metrics\Storage;

/** One process only (CLI tools, the queue worker's local view): nothing is shared. */
final class MemoryStorage implements Storage
{
    /** @var array<string, float> */
    private array $values = [];

    public function increment(string $name, array $labels, float $by = 1): void
    {
        $key = SeriesKey::encode($name, '', $labels);
        $this->values[$key] = ($this->values[$key] ?? 0) + $by;
    }

    public function set(string $name, array $labels, float $value): void
    {
        $this->values[SeriesKey::encode($name, '', $labels)] = $value;
    }

    public function observe(string $name, array $labels, float $value, array $buckets): void
    {
        foreach (SeriesKey::histogramIncrements($name, $labels, $value, $buckets) as $key => $by) {
            $this->values[$key] = ($this->values[$key] ?? 0) + $by;
        }
    }

    public function samples(): array
    {
        $out = [];
        foreach ($this->values as $key => $value) {
            [$name, $suffix, $labels] = SeriesKey::decode($key);
            $out[] = [$name, $suffix, $labels, (float) $value];
        }

        return $out;
    }

    public function wipe(): void
    {
        $this->values = [];
    }
}
