<?php

namespace App\Tracing;

/**
 * One operation of a trace: name, kind, ids, start and end in nanoseconds since the Unix epoch,
 * attributes (string, int, float or bool values), status and, unless it is the root, the parent
 * span id. Made and ended by the Tracer; exported as OTLP JSON by OtlpJsonExporter.
 */
final class Span
{
    public const STATUS_UNSET = 0;

    public const STATUS_OK = 1;

    public const STATUS_ERROR = 2;

    public ?int $endNs = null;

    public int $status = self::STATUS_UNSET;

    public string $statusMessage = '';

    /** @param array<string, string|int|float|bool> $attributes */
    public function __construct(
        public string $name,
        public readonly SpanKind $kind,
        public readonly TraceContext $context,
        public readonly ?string $parentSpanId,
        public readonly int $startNs,
        public array $attributes = [],
    ) {
    }

    /** @param array<string, string|int|float|bool|null> $attributes null values are left out */
    public function setAttributes(array $attributes): self
    {
        foreach ($attributes as $key => $value) {
            if ($value !== null) {
                $this->attributes[$key] = $value;
            }
        }

        return $this;
    }

    public function fail(string $message): self
    {
        $this->status = self::STATUS_ERROR;
        $this->statusMessage = $message;

        return $this;
    }
}
