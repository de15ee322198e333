<?php

namespace App\Octane;

use Laravel\Octane\Commands\StartSwooleCommand;
use Laravel\Octane\Swoole\ServerProcessInspector;
use Laravel\Octane\Swoole\ServerStateFile;
use Laravel\Octane\Swoole\SwooleExtension;

/**
 * `php artisan app:octane-state`: writes the Swoole server's state file exactly as `octane:swoole`
 * does (Octane's own writeServerStateFile: host, port, worker counts, config), prints its path
 * and starts nothing. app/swoole-entrypoint.sh then execs Octane's bin/swoole-server on it, so
 * the Swoole master is the container's main process: SIGTERM reaches Swoole itself, which stops
 * accepting, lets running requests finish (max_wait_time) and exits. `octane:start` instead
 * answers SIGTERM with SIGKILL for master, manager and workers (Octane 2.x, TRAPS.md 3) and relays
 * the workers' output as console text.
 */
class WriteServerState extends StartSwooleCommand
{
    public $signature = 'app:octane-state
                    {--host= : The IP address the server should bind to}
                    {--port= : The port the server should be available on}
                    {--workers=auto : The number of workers that should be available to handle requests}
                    {--task-workers=auto : The number of task workers that should be available to handle tasks}
                    {--max-requests=500 : The number of requests to process before reloading the server}';

    public $description = 'Write the Octane Swoole server state file (for bin/swoole-server) and print its path';

    protected $hidden = false;

    public function handle(ServerProcessInspector $inspector, ServerStateFile $serverStateFile, SwooleExtension $extension)
    {
        if (! $extension->isInstalled()) {
            $this->error('The Swoole extension is missing.');

            return 1;
        }
        foreach (['workers', 'task-workers', 'max-requests'] as $option) {
            if (! ctype_digit((string) $this->option($option))) {
                $this->error("--{$option} must be a whole number, not '{$this->option($option)}' (never 'auto': the node's CPUs, not the pod's)");

                return 2;
            }
        }
        $this->writeServerStateFile($serverStateFile, $extension);
        $this->line($serverStateFile->path());

        return 0;
    }
}
