<?php

namespace App\Metrics\Collectors;

use App\Metrics\Collector;

/**
 * OPcache as the serving SAPI sees it: opcache_get_status() inside the FPM worker (or the Octane
 * worker) that answers the scrape, not the CLI, whose OPcache is off (opcache.enable_cli=0).
 */
final class OpcacheCollector implements Collector
{
    public function collect(): array
    {
        $status = function_exists('opcache_get_status') ? @opcache_get_status(false) : false;
        if (! is_array($status) || empty($status['opcache_enabled'])) {
            return [['opcache_enabled', '', [], 0.0]];
        }
        $mem = $status['memory_usage'] ?? [];
        $stats = $status['opcache_statistics'] ?? [];
        $strings = $status['interned_strings_usage'] ?? [];
        $hits = (float) ($stats['hits'] ?? 0);
        $misses = (float) ($stats['misses'] ?? 0);

        return [
            ['opcache_enabled', '', [], 1.0],
            ['opcache_memory_usage_used_memory', '', [], (float) ($mem['used_memory'] ?? 0)],
            ['opcache_memory_usage_free_memory', '', [], (float) ($mem['free_memory'] ?? 0)],
            ['opcache_memory_usage_wasted_memory', '', [], (float) ($mem['wasted_memory'] ?? 0)],
            ['opcache_statistics_hits', '', [], $hits],
            ['opcache_statistics_misses', '', [], $misses],
            // OPcache reports a percentage; the contract (and the POC's alert < 0.95) wants a ratio
            ['opcache_statistics_hit_rate', '', [], $hits + $misses > 0 ? $hits / ($hits + $misses) : 0.0],
            ['opcache_statistics_num_cached_scripts', '', [], (float) ($stats['num_cached_scripts'] ?? 0)],
            ['opcache_statistics_oom_restarts', '', [], (float) ($stats['oom_restarts'] ?? 0)],
            ['opcache_interned_strings_usage_used_memory', '', [], (float) ($strings['used_memory'] ?? 0)],
            ['opcache_interned_strings_usage_free_memory', '', [], (float) ($strings['free_memory'] ?? 0)],
        ];
    }
}
