<?php

namespace App\Metrics;

/** Encodes (name, suffix, labels) to one string key and back; labels sorted by name. */
final class SeriesKey
{
    public static function encode(string $name, string $suffix, array $labels): string
    {
        ksort($labels);

        return $name."\x1f".$suffix."\x1f".json_encode(array_map('strval', $labels), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }

    /** @return array{0: string, 1: string, 2: array<string, string>} */
    public static function decode(string $key): array
    {
        [$name, $suffix, $labels] = explode("\x1f", $key, 3);

        return [$name, $suffix, (array) json_decode($labels, true)];
    }

    /** Bucket upper bound as the exposition format writes it. */
    public static function le(float $bound): string
    {
        return is_infinite($bound) ? '+Inf' : Exposition::number($bound);
    }

    /**
     * The three series one histogram observation increments, whatever the storage:
     * the first bucket whose bound holds the value (+Inf otherwise), _count and _sum.
     *
     * @param  array<int, float|int>  $buckets  ascending bounds
     * @return array<string, float>  series key => increment
     */
    public static function histogramIncrements(string $name, array $labels, float $value, array $buckets): array
    {
        $bound = INF;
        foreach ($buckets as $b) {
            if ($value <= $b) {
                $bound = (float) $b;
                break;
            }
        }

        return [
            self::encode($name, '_bucket', $labels + ['le' => self::le($bound)]) => 1.0,
            self::encode($name, '_count', $labels) => 1.0,
            self::encode($name, '_sum', $labels) => $value,
        ];
    }
}
