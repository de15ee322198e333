<?php

namespace App\Logging;

use App\Metrics\RequestContext;
use Illuminate\Container\Container;
use Monolog\Formatter\NormalizerFormatter;
use Monolog\LogRecord;

/**
 * One JSON object per line: time, level, message, request_id, trace_id and span_id (while a trace
 * is active: App\Tracing), channel, context. Log shippers
 * (and the container tier's test) parse every stderr line as JSON; newlines inside messages or
 * stack traces are escaped by json_encode, so a record never spans two lines.
 */
class JsonLineFormatter extends NormalizerFormatter
{
    public function __construct()
    {
        parent::__construct('Y-m-d\TH:i:s.uP');
        $this->setMaxNormalizeDepth(6);
        $this->setMaxNormalizeItemCount(100);
    }

    public function format(LogRecord $record): string
    {
        $context = $this->context();
        $line = [
            'time' => $record->datetime->format($this->dateFormat),
            'level' => strtolower($record->level->getName()),
            'message' => $record->message,
            'request_id' => $context?->requestId,
        ];
        if ($context?->traceId !== null) {
            $line['trace_id'] = $context->traceId;
            $line['span_id'] = $context->spanId;
        }
        $line['channel'] = $record->channel;
        if ($record->context !== []) {
            $line['context'] = $this->normalize($record->context);
        }
        if ($record->extra !== []) {
            $line['extra'] = $this->normalize($record->extra);
        }

        return $this->toJson($line, true)."\n";
    }

    public function formatBatch(array $records): string
    {
        return implode('', array_map($this->format(...), $records));
    }

    private function context(): ?RequestContext
    {
        $container = Container::getInstance();

        return $container->resolved(RequestContext::class) || $container->bound(RequestContext::class)
            ? $container->make(RequestContext::class)
            : null;
    }
}
