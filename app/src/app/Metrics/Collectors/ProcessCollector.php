<?php

namespace App\Metrics\Collectors;

use App\Metrics\Collector;

/** app_info and the memory of the worker that serves the scrape. */
final class ProcessCollector implements Collector
{
    public function __construct(private readonly string $version, private readonly string $runtime)
    {
    }

    public function collect(): array
    {
        return [
            ['app_info', '', ['version' => $this->version, 'runtime' => $this->runtime], 1.0],
            ['php_memory_usage_bytes', '', [], (float) memory_get_usage(true)],
            ['php_memory_peak_bytes', '', [], (float) memory_get_peak_usage(true)],
        ];
    }
}
