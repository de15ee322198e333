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
}
