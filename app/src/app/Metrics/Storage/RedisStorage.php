<?php

namespace App\Metrics\Storage;

use App\Metrics\SeriesKey;
use App\Metrics\Storage;
use Closure;
use Illuminate\Redis\Connections\Connection;

/**
 * Counters written by one process (the queue worker) and read by another (any app pod's
 * /metrics): one Redis hash, HINCRBYFLOAT is atomic. Used for the queue counters only.
 * The connection is opened on first use: a request that records nothing here (every HTTP
 * request, /health included) never touches Redis.
 */
final class RedisStorage implements Storage
{
    private ?Connection $connection = null;

    /** @param  Closure(): Connection  $connect */
    public function __construct(private readonly Closure $connect, private readonly string $key = 'lks_metrics')
    {
    }

    private function redis(): Connection
    {
        return $this->connection ??= ($this->connect)();
    }

    public function increment(string $name, array $labels, float $by = 1): void
    {
        $this->redis()->command('hincrbyfloat', [$this->key, SeriesKey::encode($name, '', $labels), $by]);
    }

    public function set(string $name, array $labels, float $value): void
    {
        $this->redis()->command('hset', [$this->key, SeriesKey::encode($name, '', $labels), $value]);
    }

    public function observe(string $name, array $labels, float $value, array $buckets): void
    {
        foreach (SeriesKey::histogramIncrements($name, $labels, $value, $buckets) as $key => $by) {
            $this->redis()->command('hincrbyfloat', [$this->key, $key, $by]);
        }
    }

    public function samples(): array
    {
        $out = [];
        foreach ((array) $this->redis()->command('hgetall', [$this->key]) as $field => $value) {
            [$name, $suffix, $labels] = SeriesKey::decode((string) $field);
            $out[] = [$name, $suffix, $labels, (float) $value];
        }

        return $out;
    }

    public function wipe(): void
    {
        $this->redis()->command('del', [$this->key]);
    }
}
