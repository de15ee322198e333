<?php

namespace App\Metrics\Collectors;

use App\Metrics\Collector;

/**
 * php_fpm_pool_* from the pool's own scoreboard: fpm_get_status() returns, inside an FPM worker,
 * the same record that pm.status_path serves (?json) — without a FastCGI round-trip from the
 * app to its own master. pm.max_children is not in the scoreboard: it comes from the variable
 * that also configures the pool (PHP_FPM_PM_MAX_CHILDREN).
 */
final class FpmPoolCollector implements Collector
{
    /** @param  (callable(): (array|false))|null  $status */
    public function __construct(private readonly int $maxChildren, private $status = null)
    {
        $this->status ??= fn () => function_exists('fpm_get_status') ? fpm_get_status() : false;
    }

    public function collect(): array
    {
        $s = ($this->status)();
        if (! is_array($s)) {
            return []; // not served by FPM (CLI, Octane)
        }
        $pool = ['pool' => (string) ($s['pool'] ?? 'www')];
        $rows = [
            ['php_fpm_pool_processes_total', $s['total-processes'] ?? 0],
            ['php_fpm_pool_processes_active', $s['active-processes'] ?? 0],
            ['php_fpm_pool_processes_idle', $s['idle-processes'] ?? 0],
            ['php_fpm_pool_processes_max_reached', $s['max-children-reached'] ?? 0],
            ['php_fpm_pool_slow_requests_total', $s['slow-requests'] ?? 0],
            ['php_fpm_pool_listen_queue', $s['listen-queue'] ?? 0],
            ['php_fpm_pool_listen_queue_max', $s['max-listen-queue'] ?? 0],
            ['php_fpm_pool_accepted_connections_total', $s['accepted-conn'] ?? 0],
        ];
        if ($this->maxChildren > 0) {
            $rows[] = ['php_fpm_pool_processes_max', $this->maxChildren];
        }

        return array_map(fn ($r) => [$r[0], '', $pool, (float) $r[1]], $rows);
    }
}
