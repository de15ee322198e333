<?php

namespace App\Metrics;

/**
 * Prometheus text exposition format 0.0.4: HELP and TYPE once per family, one line per sample,
 * histograms as cumulative _bucket{le} series ending in +Inf, then _sum and _count.
 */
final class Exposition
{
    public const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

    /**
     * @param  array<string, array{type: string, help: string, buckets?: list<float>}>  $families
     * @param  list<array{0: string, 1: string, 2: array<string, string>, 3: float}>  $samples
     */
    public static function render(array $families, array $samples): string
    {
        $byFamily = [];
        foreach ($samples as [$name, $suffix, $labels, $value]) {
            if (isset($families[$name])) {
                $byFamily[$name][] = [$suffix, $labels, $value];
            }
        }
        ksort($byFamily);

        $out = '';
        foreach ($byFamily as $name => $rows) {
            $family = $families[$name];
            $out .= '# HELP '.$name.' '.self::escapeHelp($family['help'])."\n";
            $out .= '# TYPE '.$name.' '.$family['type']."\n";
            $out .= $family['type'] === 'histogram'
                ? self::histogram($name, $rows, $family['buckets'] ?? [])
                : self::plain($name, $rows);
        }

        return $out;
    }

    /** @param list<array{0: string, 1: array<string, string>, 2: float}> $rows */
    private static function plain(string $name, array $rows): string
    {
        usort($rows, fn ($a, $b) => strcmp(self::labels($a[1]), self::labels($b[1])));
        $out = '';
        foreach ($rows as [, $labels, $value]) {
            $out .= $name.self::labels($labels).' '.self::number($value)."\n";
        }

        return $out;
    }

    /** @param list<array{0: string, 1: array<string, string>, 2: float}> $rows */
    private static function histogram(string $name, array $rows, array $buckets): string
    {
        // group by label set (without le)
        $series = [];
        foreach ($rows as [$suffix, $labels, $value]) {
            $le = $labels['le'] ?? null;
            unset($labels['le']);
            ksort($labels);
            $id = self::labels($labels);
            $series[$id] ??= ['labels' => $labels, 'buckets' => [], 'sum' => 0.0, 'count' => 0.0];
            match ($suffix) {
                '_bucket' => $series[$id]['buckets'][(string) $le] = ($series[$id]['buckets'][(string) $le] ?? 0) + $value,
                '_sum' => $series[$id]['sum'] += $value,
                '_count' => $series[$id]['count'] += $value,
                default => null,
            };
        }
        ksort($series);

        $bounds = array_map(fn ($b) => SeriesKey::le((float) $b), $buckets);
        $bounds[] = '+Inf';
        $out = '';
        foreach ($series as $s) {
            $cumulative = 0.0;
            foreach ($bounds as $le) {
                $cumulative += $s['buckets'][$le] ?? 0;
                $out .= $name.'_bucket'.self::labels($s['labels'] + ['le' => $le]).' '.self::number($cumulative)."\n";
            }
            $out .= $name.'_sum'.self::labels($s['labels']).' '.self::number($s['sum'])."\n";
            // the count is the +Inf bucket by definition
            $out .= $name.'_count'.self::labels($s['labels']).' '.self::number($cumulative)."\n";
        }

        return $out;
    }

    /** @param array<string, string> $labels */
    public static function labels(array $labels): string
    {
        if ($labels === []) {
            return '';
        }
        $le = $labels['le'] ?? null;
        unset($labels['le']);
        ksort($labels);
        if ($le !== null) {
            $labels['le'] = $le; // le last, as client libraries write it
        }
        $parts = [];
        foreach ($labels as $k => $v) {
            $parts[] = $k.'="'.str_replace(['\\', '"', "\n"], ['\\\\', '\\"', '\\n'], (string) $v).'"';
        }

        return '{'.implode(',', $parts).'}';
    }

    public static function number(float|int $value): string
    {
        if (is_nan((float) $value)) {
            return 'NaN';
        }
        if (is_infinite((float) $value)) {
            return $value > 0 ? '+Inf' : '-Inf';
        }
        if ((float) $value == floor((float) $value) && abs((float) $value) < 1e15) {
            return (string) (int) $value;
        }

        return json_encode((float) $value); // shortest representation that round-trips
    }

    private static function escapeHelp(string $help): string
    {
        return str_replace(['\\', "\n"], ['\\\\', '\\n'], $help);
    }
}
