<?php

namespace App\Octane;

use Illuminate\Contracts\Container\Container;
use Laravel\Octane\Facades\Octane;
use Swoole\Http\Server;
use Swoole\Table;

/**
 * The Swoole server and the shared tables of the worker running this code, or null where there is
 * none: artisan commands of the Swoole image, and Octane's own test worker (FakeWorker), have no
 * Swoole server bound, and Octane::table() throws there.
 */
final class SwooleWorker
{
    public static function server(Container $app): ?Server
    {
        return $app->bound(Server::class) ? $app->make(Server::class) : null;
    }

    public static function table(Container $app, string $name): ?Table
    {
        return self::server($app) !== null ? Octane::table($name) : null;
    }

    /** Swoole's id of this HTTP worker (0..worker_num-1), null in a task worker or outside Swoole. */
    public static function httpWorkerId(Container $app): ?int
    {
        $server = self::server($app);
        if ($server === null || $server->worker_id < 0 || $server->taskworker) {
            return null;
        }

        return (int) $server->worker_id;
    }

    /**
     * This HTTP worker's key in the `workers` table and the table, or null outside an HTTP worker
     * of a Swoole server (task workers, artisan, Octane's test worker).
     *
     * @return array{0: Table, 1: string}|null
     */
    public static function workersRow(object $event): ?array
    {
        $app = $event->sandbox ?? $event->app;
        $id = self::httpWorkerId($app);
        $table = $id === null ? null : self::table($app, 'workers');

        return $table === null ? null : [$table, (string) $id];
    }

    /** Resident set size of this process in bytes (/proc/self/statm), 0 where unreadable. */
    public static function rssBytes(): int
    {
        $statm = @file_get_contents('/proc/self/statm');
        if ($statm === false) {
            return 0;
        }
        $pages = (int) (explode(' ', $statm)[1] ?? 0);
        $pageSize = function_exists('posix_sysconf') ? (int) posix_sysconf(POSIX_SC_PAGESIZE) : 4096;

        return $pages * ($pageSize > 0 ? $pageSize : 4096);
    }
}
