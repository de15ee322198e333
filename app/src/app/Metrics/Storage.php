<?php

namespace App\Metrics;

/**
 * Where samples live between the requests (and processes) that record them and the scrape that
 * reads them. Keys are (metric name, sorted label set); values are numbers.
 */
interface Storage
{
    /** Add $by to a counter (created at 0). */
    public function increment(string $name, array $labels, float $by = 1): void;

    /** Set a gauge. */
    public function set(string $name, array $labels, float $value): void;

    /**
     * Record one observation of a histogram: increments the buckets whose upper bound is >= the
     * value (stored non-cumulative, summed at render time), the count and the sum.
     *
     * @param  list<float>  $buckets
     */
    public function observe(string $name, array $labels, float $value, array $buckets): void;

    /**
     * Every stored sample as [metric name, series suffix ('' | '_bucket' | '_sum' | '_count'),
     * labels, value]; bucket rows carry the "le" label.
     *
     * @return list<array{0: string, 1: string, 2: array<string, string>, 3: float}>
     */
    public function samples(): array;

    /** Forget everything (tests). */
    public function wipe(): void;
}
