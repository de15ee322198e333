<?php

namespace App\Metrics\Storage;

use App\Metrics\SeriesKey;
use App\Metrics\Storage;
use APCUIterator;
use RuntimeException;

/**
 * PHP-FPM: APCu is one shared-memory segment for all workers of the pool, so every worker adds to
 * the same counters and any worker can answer the scrape. Increments are atomic (apcu_inc on
 * integers; fractional values are stored in micro-units; gauges are plain stores).
 */
final class ApcuStorage implements Storage
{
    private const SCALE = 1_000_000; // sums (seconds) are stored as integer micro-units

    public function __construct(private readonly string $prefix = 'lks_metrics')
    {
        if (! function_exists('apcu_enabled') || ! apcu_enabled()) {
            throw new RuntimeException('APCu is not enabled in this SAPI (apc.enabled / apc.enable_cli)');
        }
    }

    public function increment(string $name, array $labels, float $by = 1): void
    {
        $this->add(SeriesKey::encode($name, '', $labels), $by);
    }

    public function set(string $name, array $labels, float $value): void
    {
        apcu_store($this->prefix.':g:'.SeriesKey::encode($name, '', $labels), $value);
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
        $quoted = preg_quote($this->prefix, '/');
        foreach (new APCUIterator('/^'.$quoted.':[cg]:/', APC_ITER_KEY | APC_ITER_VALUE) as $entry) {
            $isCounter = $entry['key'][strlen($this->prefix) + 1] === 'c';
            [$name, $suffix, $labels] = SeriesKey::decode(substr($entry['key'], strlen($this->prefix) + 3));
            $value = $isCounter ? (float) ($entry['value'] / self::SCALE) : (float) $entry['value'];
            $out[] = [$name, $suffix, $labels, $value];
        }

        return $out;
    }

    public function wipe(): void
    {
        apcu_delete(new APCUIterator('/^'.preg_quote($this->prefix, '/').':/'));
    }

    private function add(string $key, float $by): void
    {
        $full = $this->prefix.':c:'.$key;
        $delta = (int) round($by * self::SCALE);
        apcu_add($full, 0); // no-op when present; makes apcu_inc's first call race-free
        apcu_inc($full, $delta);
    }
}
