<?php

namespace App\Console\Commands;

use Illuminate\Console\Command;

/**
 * The drain switch of the shutdown path: `php artisan app:drain` (a preStop hook, or the
 * entrypoint on SIGTERM) makes /ready answer 503 so the load balancer stops sending new requests
 * while the in-flight ones finish; `--off` flips it back.
 */
class Drain extends Command
{
    protected $signature = 'app:drain {--off : stop draining}';

    protected $description = 'Flip the readiness drain switch (/ready answers 503 while draining)';

    public function handle(): int
    {
        $file = (string) config('app.drain_file');
        if ($this->option('off')) {
            @unlink($file);
            $this->info('draining off');

            return self::SUCCESS;
        }
        if (! is_dir(dirname($file)) || @file_put_contents($file, (string) time()) === false) {
            $this->error("cannot write the drain file {$file}");

            return self::FAILURE;
        }
        $this->info("draining: {$file}");

        return self::SUCCESS;
    }
}
