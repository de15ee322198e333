<?php

namespace Tests\Unit;

use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

/**
 * config/octane.php is plain configuration read from the environment, so it is tested everywhere,
 * with or without Swoole: every worker count and limit comes from env, never from the host's CPUs.
 */
#[Group('octane-swoole-config')]
class OctaneConfigTest extends TestCase
{
    private const VARS = [
        'OCTANE_WORKERS', 'OCTANE_TASK_WORKERS', 'OCTANE_MAX_REQUESTS', 'OCTANE_PACKAGE_MAX_LENGTH',
        'OCTANE_RELOAD_ASYNC', 'OCTANE_MAX_WAIT_TIME', 'OCTANE_MAX_EXECUTION_TIME',
    ];

    protected array $truncate = [];

    /** @return array<string, mixed> config/octane.php evaluated with the given environment */
    private function octaneConfig(array $env): array
    {
        $saved = [];
        foreach (self::VARS as $key) {
            $saved[$key] = [getenv($key), $_ENV[$key] ?? null, $_SERVER[$key] ?? null];
            putenv($key);
            unset($_ENV[$key], $_SERVER[$key]);
        }
        foreach ($env as $key => $value) {
            putenv("{$key}={$value}");
            $_ENV[$key] = $_SERVER[$key] = $value;
        }
        try {
            return require config_path('octane.php');
        } finally {
            foreach ($saved as $key => [$e, $env1, $srv]) {
                $e === false ? putenv($key) : putenv("{$key}={$e}");
                unset($_ENV[$key], $_SERVER[$key]);
                if ($env1 !== null) {
                    $_ENV[$key] = $env1;
                }
                if ($srv !== null) {
                    $_SERVER[$key] = $srv;
                }
            }
        }
    }

    public function test_swoole_workers_and_limits_come_from_the_environment(): void
    {
        $config = $this->octaneConfig([
            'OCTANE_WORKERS' => '3', 'OCTANE_TASK_WORKERS' => '2', 'OCTANE_MAX_REQUESTS' => '777',
            'OCTANE_PACKAGE_MAX_LENGTH' => '2097152', 'OCTANE_RELOAD_ASYNC' => 'false', 'OCTANE_MAX_WAIT_TIME' => '9',
            'OCTANE_MAX_EXECUTION_TIME' => '15',
        ]);

        $options = $config['swoole']['options'];
        $this->assertSame(3, $options['worker_num']);
        $this->assertSame(2, $options['task_worker_num']);
        $this->assertSame(777, $options['max_request']);
        $this->assertSame(2097152, $options['package_max_length']);
        $this->assertFalse($options['reload_async']);
        $this->assertSame(9, $options['max_wait_time']);
        $this->assertSame(15, $config['max_execution_time']);
    }

    public function test_the_defaults_are_fixed_numbers_not_the_host_cpu_count(): void
    {
        $config = $this->octaneConfig([]);

        $options = $config['swoole']['options'];
        $this->assertSame(2, $options['worker_num']);
        $this->assertSame(1, $options['task_worker_num']);
        $this->assertSame(10000, $options['max_request']);
        $this->assertTrue($options['reload_async']);
        $this->assertGreaterThan(3, $options['max_wait_time'], 'above Swoole\'s 3 s default');
        $this->assertSame('/dev/stderr', $options['log_file']);
    }

    public function test_the_swoole_tables_of_the_metrics_registry_are_declared(): void
    {
        $tables = $this->octaneConfig([])['tables'];

        $this->assertSame(['key' => 'string:512', 'value' => 'float'], $tables['metrics:4096']);
        $this->assertArrayHasKey('workers:256', $tables);
    }

    public function test_the_config_loads_without_octane_installed_and_registers_no_octane_provider(): void
    {
        $installed = class_exists(\Laravel\Octane\Octane::class);
        $config = $this->octaneConfig([]);

        $this->assertSame($installed, $config['listeners'] !== []);
        $this->assertSame($installed, $this->app->getProvider(\App\Octane\OctaneServiceProvider::class) !== null);
        $this->assertSame(\App\Metrics\RequestContext::class, $config['flush'][0]);
    }
}
