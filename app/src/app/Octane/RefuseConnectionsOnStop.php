<?php

namespace App\Octane;

/**
 * WorkerStopping, during a stop only (app/swoole-entrypoint.sh creates octane.stop_file before it
 * signals the master): shut down the listening socket, so new connections are refused at once while
 * the requests already running finish. Swoole's own shutdown only stops polling the socket: it stays
 * open in every process until the last one exits, and the kernel keeps accepting connections that
 * are never answered. The socket is shared by all processes: the first worker that stops (an idle
 * one, or the task worker) closes it for all. A worker recycled by max_request (no stop file) does
 * nothing.
 */
class RefuseConnectionsOnStop
{
    public function handle(object $event): void
    {
        $file = (string) config('octane.stop_file');
        $server = SwooleWorker::server($event->app);
        if ($server === null || $file === '' || ! is_file($file) || ! function_exists('socket_shutdown')) {
            return;
        }
        foreach ($server->ports as $port) {
            $socket = $port->getSocket();
            if ($socket !== false) {
                @socket_shutdown($socket, 0); // SHUT_RD on a listening socket: it stops listening
            }
        }
    }
}
