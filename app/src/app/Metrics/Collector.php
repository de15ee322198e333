<?php

namespace App\Metrics;

/** Computes gauges at scrape time (values that the runtime already tracks). */
interface Collector
{
    /** @return list<array{0: string, 1: string, 2: array<string, string>, 3: float}> samples as Storage::samples() */
    public function collect(): array;
}
