<?php

namespace App\Health;

use Illuminate\Contracts\Cache\Factory as CacheFactory;
use Illuminate\Contracts\Queue\Factory as QueueFactory;
use Illuminate\Database\DatabaseManager;
use Illuminate\Redis\RedisManager;
use Illuminate\Support\Facades\Storage;
use Illuminate\Support\Str;
use Throwable;

/**
 * The readiness checks of a Laravel pod, each timed and reported on its own:
 * database (a query), redis (PING), cache (write, read back, delete), queue (size of the default
 * queue on its connection), migrations (every migration file has run), draining (the drain
 * switch is off), and object_store (HEAD of the uploads' bucket) where a bucket is configured.
 * The object store is reported but not required (`required: false`): without it only uploads and
 * downloads fail (503), so a store outage must not take every pod out of the Service.
 * Connection timeouts in config keep the whole run under the probe's timeout.
 */
class Readiness
{
    public function __construct(
        private readonly DatabaseManager $db,
        private readonly RedisManager $redis,
        private readonly CacheFactory $cache,
        private readonly QueueFactory $queue,
    ) {
    }

    /** @return array<string, array{ok: bool, ms: float, error?: string, detail?: mixed}> */
    public function run(): array
    {
        return $this->core() + $this->objectStore();
    }

    /** @return array<string, array{ok: bool, ms: float, required: false, error?: string}> */
    private function objectStore(): array
    {
        $disk = (string) config('uploads.disk');
        if ((string) config("filesystems.disks.{$disk}.bucket") === '') {
            return [];
        }
        $check = $this->check(function () use ($disk) {
            $adapter = Storage::disk($disk)->getAdapter();
            method_exists($adapter, 'checkBucket') ? $adapter->checkBucket() : Storage::disk($disk)->fileExists('.ready');

            return ['bucket' => config("filesystems.disks.{$disk}.bucket")];
        });

        return ['object_store' => $check + ['required' => false]];
    }

    /** @return array<string, array{ok: bool, ms: float, error?: string, detail?: mixed}> */
    private function core(): array
    {
        $checks = [
            'database' => $this->check(function () {
                $this->db->connection()->select('select 1 as ok');
            }),
            'redis' => $this->check(function () {
                $pong = $this->redis->connection()->command('ping');
                if ($pong !== true && ! in_array(strtolower((string) $pong), ['pong', '+pong', '1'], true)) {
                    throw new \RuntimeException('unexpected PING reply');
                }
            }),
        ];
        // Redis unreachable (down, or cut off): the cache and queue checks on the same server would
        // each wait out its connect timeout again and push /ready past the probe's timeout
        $redisDown = ! $checks['redis']['ok'] ? 'skipped: Redis did not answer (the redis check)' : null;

        return $checks + [
            'cache' => $redisDown !== null && $this->onRedis('cache') ? $this->skipped($redisDown) : $this->check(function () {
                $key = 'ready:'.Str::random(12);
                $value = Str::random(16);
                $store = $this->cache->store();
                $store->put($key, $value, 10);
                $read = $store->get($key);
                $store->forget($key);
                if ($read !== $value) {
                    throw new \RuntimeException('cache read back a different value');
                }
            }),
            'queue' => $redisDown !== null && $this->onRedis('queue') ? $this->skipped($redisDown) : $this->check(function () {
                return ['pending' => $this->queue->connection()->size()];
            }),
            'migrations' => $this->check(function () {
                $migrator = app('migrator'); // deferred provider: resolved only by this check
                $repository = $migrator->getRepository();
                if (! $repository->repositoryExists()) {
                    throw new \RuntimeException('migrations table missing: run php artisan migrate');
                }
                $files = array_keys($migrator->getMigrationFiles([database_path('migrations')]));
                $pending = array_values(array_diff($files, $repository->getRan()));
                if ($pending) {
                    throw new \RuntimeException(count($pending).' pending migration(s): '.implode(', ', $pending));
                }

                return ['applied' => count($files)];
            }),
            'draining' => $this->check(function () {
                if (is_file((string) config('app.drain_file'))) {
                    throw new \RuntimeException('draining: shutting down, not accepting new traffic');
                }
            }),
        ];
    }

    /** Whether the default cache store or queue connection lives on Redis. */
    private function onRedis(string $what): bool
    {
        return $what === 'cache'
            ? config('cache.stores.'.config('cache.default').'.driver') === 'redis'
            : config('queue.connections.'.config('queue.default').'.driver') === 'redis';
    }

    /** @return array{ok: false, ms: float, error: string} */
    private function skipped(string $why): array
    {
        return ['ok' => false, 'error' => $why, 'ms' => 0.0];
    }

    /** @return array{ok: bool, ms: float, error?: string, detail?: mixed} */
    private function check(callable $probe): array
    {
        $start = hrtime(true);
        try {
            $detail = $probe();
            $result = ['ok' => true];
            if ($detail !== null) {
                $result['detail'] = $detail;
            }
        } catch (Throwable $e) {
            $result = ['ok' => false, 'error' => Str::limit(get_class($e).': '.$e->getMessage(), 300)];
        }
        $result['ms'] = round((hrtime(true) - $start) / 1e6, 2);

        return $result;
    }
}
