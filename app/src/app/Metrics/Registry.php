<?php

namespace App\Metrics;

use InvalidArgumentException;

/**
 * The app's Prometheus registry: records into the storage that fits each series (Definitions) and
 * renders every family, with the scrape-time collectors, in the text exposition format.
 * Label names are checked against the definition so a typo cannot create new series.
 */
final class Registry
{
    /** @var array<string, array{type: string, help: string, labels: list<string>, store: string}> */
    private array $definitions;

    /** @param list<Collector> $collectors */
    public function __construct(
        private readonly Storage $local,
        private readonly Storage $shared,
        private readonly array $collectors = [],
        private readonly array $buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ) {
        $this->definitions = Definitions::all();
    }

    public function increment(string $name, array $labels = [], float $by = 1): void
    {
        $this->storageFor($name, $labels, ['counter', 'untyped'])->increment($name, $labels, $by);
    }

    public function set(string $name, array $labels, float $value): void
    {
        $this->storageFor($name, $labels, ['gauge', 'untyped'])->set($name, $labels, $value);
    }

    public function observe(string $name, array $labels, float $value): void
    {
        $this->storageFor($name, $labels, ['histogram'])->observe($name, $labels, $value, $this->buckets);
    }

    public function render(): string
    {
        $samples = $this->local->samples();
        foreach ([fn () => $this->shared->samples(), ...array_map(fn (Collector $c) => $c->collect(...), $this->collectors)] as $source) {
            try {
                array_push($samples, ...$source());
            } catch (\Throwable $e) {
                // one broken source must not take the whole scrape down
                $container = \Illuminate\Container\Container::getInstance();
                if ($container->bound(\Illuminate\Contracts\Debug\ExceptionHandler::class)) {
                    $container->make(\Illuminate\Contracts\Debug\ExceptionHandler::class)->report($e);
                }
            }
        }
        $families = [];
        foreach ($this->definitions as $name => $def) {
            $families[$name] = ['type' => $def['type'], 'help' => $def['help'], 'buckets' => $this->buckets];
        }

        return Exposition::render($families, $samples);
    }

    public function wipe(): void
    {
        $this->local->wipe();
        $this->shared->wipe();
    }

    /** @param list<string> $types */
    private function storageFor(string $name, array $labels, array $types): Storage
    {
        $def = $this->definitions[$name] ?? throw new InvalidArgumentException("unknown metric {$name}");
        if (! in_array($def['type'], $types, true)) {
            throw new InvalidArgumentException("{$name} is a {$def['type']}");
        }
        $given = array_keys($labels);
        sort($given);
        $expected = $def['labels'];
        sort($expected);
        if ($given !== $expected) {
            throw new InvalidArgumentException("{$name} takes labels [".implode(',', $expected).'], got ['.implode(',', $given).']');
        }

        return match ($def['store']) {
            'local' => $this->local,
            'redis' => $this->shared,
            default => throw new InvalidArgumentException("{$name} is computed at scrape time"),
        };
    }
}
