<?php

namespace App\Tracing;

/**
 * The W3C Trace Context of a span (https://www.w3.org/TR/trace-context/): trace id (32 hex
 * digits), span id (16), sampled flag. Parsed from a `traceparent` header, written back as one
 * (outgoing: the queue payload) and as the `traceresponse` header of the response (level 2).
 */
final class TraceContext
{
    private const HEADER = '/^(?<version>[0-9a-f]{2})-(?<trace>[0-9a-f]{32})-(?<span>[0-9a-f]{16})-(?<flags>[0-9a-f]{2})(?<rest>-.*)?$/';

    public function __construct(
        public readonly string $traceId,
        public readonly string $spanId,
        public readonly bool $sampled,
    ) {
    }

    /**
     * The caller's context, or null when the header is absent or invalid (the request then starts
     * a new trace): version ff, an all-zero trace or span id, upper-case hex or another length are
     * invalid; version 00 has exactly four fields, a later version may append more.
     */
    public static function fromTraceparent(?string $header): ?self
    {
        if ($header === null || preg_match(self::HEADER, trim($header), $m) !== 1) {
            return null;
        }
        if ($m['version'] === 'ff' || ($m['version'] === '00' && ($m['rest'] ?? '') !== '')) {
            return null;
        }
        if ($m['trace'] === str_repeat('0', 32) || $m['span'] === str_repeat('0', 16)) {
            return null;
        }

        return new self($m['trace'], $m['span'], (hexdec($m['flags']) & 1) === 1);
    }

    public function traceparent(): string
    {
        return sprintf('00-%s-%s-%s', $this->traceId, $this->spanId, $this->sampled ? '01' : '00');
    }

    public static function newTraceId(): string
    {
        return bin2hex(random_bytes(16));
    }

    public static function newSpanId(): string
    {
        return bin2hex(random_bytes(8));
    }
}
