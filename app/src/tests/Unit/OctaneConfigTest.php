<?php

namespace Tests\Unit;

use App\Metrics\RequestContext;
use App\Octane\LogRequest;
use App\Octane\MarkWorkerBusy;
use App\Octane\RecordWorkerMemory;
use App\Octane\RefuseConnectionsOnStop;
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
        'OCTANE_RELOAD_ASYNC', 'OCTANE_MAX_WAIT_TIME', 'OCTANE_MAX_EXECUTION_TIME', 'OCTANE_TEST_LEAK_ROUTE',
        'OCTANE_READY_MAX_BUSY_SECONDS', 'APP_ENV',
    ];

    /** The app's own Octane listeners: worker bookkeeping, the access log and the stop; none resets request state. */
    private const APP_LISTENERS = [MarkWorkerBusy::class, LogRequest::class, RecordWorkerMemory::class, RefuseConnectionsOnStop::class];

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

    public function test_the_leaky_test_route_is_enabled_by_env_and_never_in_production(): void
    {
        $this->assertTrue($this->octaneConfig(['OCTANE_TEST_LEAK_ROUTE' => 'true', 'APP_ENV' => 'testing'])['test_leak_route']);
        $this->assertFalse($this->octaneConfig(['OCTANE_TEST_LEAK_ROUTE' => 'true', 'APP_ENV' => 'production'])['test_leak_route']);
        $this->assertFalse($this->octaneConfig(['OCTANE_TEST_LEAK_ROUTE' => 'true'])['test_leak_route'], 'no APP_ENV = production');
        $this->assertSame(2.5, $this->octaneConfig(['OCTANE_READY_MAX_BUSY_SECONDS' => '2.5'])['ready_max_busy_seconds']);
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

        // the listener names are plain ::class strings; only Octane's own default lists need Octane
        $received = $config['listeners'][\Laravel\Octane\Events\RequestReceived::class];
        $this->assertContains(\App\Octane\MarkWorkerBusy::class, $received);
        $this->assertSame($installed, in_array(\Laravel\Octane\Listeners\FlushAuthenticationState::class, $received, true));
        $this->assertSame($installed, $config['warm'] !== []);
        $runs = $installed && extension_loaded('swoole');
        $this->assertSame($runs, $this->app->getProvider(\Laravel\Octane\OctaneServiceProvider::class) !== null);
        $this->assertSame($runs, $this->app->getProvider(\App\Providers\OctaneWorkerServiceProvider::class) !== null);
    }

    public function test_the_request_context_is_reset_by_its_scoped_binding_alone(): void
    {
        // one request shares one context (the middleware writes the id, the log formatter reads it)
        $context = $this->app->make(RequestContext::class);
        $this->assertSame($context, $this->app->make(RequestContext::class));

        // what Octane's FlushTemporaryContainerInstances does after every request: the next one
        // gets a fresh context, not the previous request's id
        $this->app->forgetScopedInstances();
        $this->assertNotSame($context, $this->app->make(RequestContext::class));

        // and it is the only reset: no flush entry, and the app's own listeners are exactly the ones
        // that do not touch request state
        $config = $this->octaneConfig([]);
        $this->assertSame([], $config['flush']);
        $own = array_unique(array_filter(array_merge(...array_values($config['listeners'])),
            fn (string $listener) => ! str_starts_with($listener, 'Laravel\\Octane\\')));
        $this->assertEqualsCanonicalizing(self::APP_LISTENERS, array_values($own));
    }

    public function test_octane_s_default_listeners_stay_configured_with_the_app_s_own(): void
    {
        $listeners = $this->octaneConfig([])['listeners'];

        $this->assertSame([\App\Octane\RefuseConnectionsOnStop::class, \Laravel\Octane\Listeners\CloseMonologHandlers::class],
            $listeners[\Laravel\Octane\Events\WorkerStopping::class]);
        $this->assertSame([\Laravel\Octane\Listeners\ReportException::class, \Laravel\Octane\Listeners\StopWorkerIfNecessary::class],
            $listeners[\Laravel\Octane\Events\WorkerErrorOccurred::class]);
        $this->assertSame([\Laravel\Octane\Listeners\FlushOnce::class, \Laravel\Octane\Listeners\FlushTemporaryContainerInstances::class],
            $listeners[\Laravel\Octane\Contracts\OperationTerminated::class]);
        $this->assertSame([\App\Octane\LogRequest::class, \App\Octane\RecordWorkerMemory::class],
            $listeners[\Laravel\Octane\Events\RequestTerminated::class]);
    }

    public function test_neither_the_tick_nor_the_max_execution_watchdog_keeps_a_timer_in_the_swoole_master_by_default(): void
    {
        $config = $this->octaneConfig([]);

        // a pending timer keeps the master's event loop alive after SIGTERM (see config/octane.php)
        $this->assertFalse($config['tick']);
        $this->assertSame(0, $config['max_execution_time']);
        $this->assertFalse($config['swoole']['options']['enable_signalfd']);
        $this->assertFalse($config['test_leak_route'], 'the leaky test route is off by default');
    }
}
