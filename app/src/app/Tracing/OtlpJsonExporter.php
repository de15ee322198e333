<?php

namespace App\Tracing;

use Psr\Log\LoggerInterface;
use Symfony\Contracts\HttpClient\HttpClientInterface;
use Throwable;

/**
 * Sends finished spans to a collector's OTLP/HTTP receiver in the JSON encoding of OTLP
 * (POST {endpoint}/v1/traces, Content-Type: application/json): resourceSpans > scopeSpans >
 * spans, trace and span ids as hex, times as strings of nanoseconds, enums as integers.
 * It never throws and never waits longer than its timeouts; after a failure it sends nothing for
 * `backoff_seconds` (APCu under FPM: every worker of the pool knows; per process elsewhere, in a
 * static: Octane resolves this singleton again in every request's sandbox, an instance property
 * would forget the failure at once), so a dead collector costs one timeout per interval instead of
 * one per request. Each failure is one warning with its reason ("trace export failed"): at most
 * one per backoff interval, so an operator sees why spans go missing without a line per request.
 */
final class OtlpJsonExporter
{
    public const PATH = '/v1/traces';

    public const DROPPED_BACKOFF = 'backoff';

    public const DROPPED_ERROR = 'export_error';

    /** @var array<string, float> endpoint key -> no export before this time (this process) */
    private static array $failedUntil = [];

    /** @param array<string, string> $resource */
    public function __construct(
        private readonly HttpClientInterface $http,
        private readonly string $endpoint,
        private readonly array $resource,
        private readonly float $connectTimeout,
        private readonly float $timeout,
        private readonly float $backoffSeconds = 0.0,
        private readonly string $scopeVersion = '',
        private readonly ?LoggerInterface $log = null,
    ) {
    }

    /**
     * @param  array<string, mixed>  $config  config('tracing')
     */
    public static function fromConfig(HttpClientInterface $http, array $config, string $version, string $environment, string $runtime, ?LoggerInterface $log = null): self
    {
        return new self($http, (string) $config['endpoint'], [
            'service.name' => (string) $config['service_name'],
            'service.version' => $version,
            'deployment.environment' => $environment,
            'app.runtime' => $runtime,
            'host.name' => (string) gethostname(),
            'telemetry.sdk.name' => 'laravel-k8s-showcase',
            'telemetry.sdk.language' => 'php',
        ], max(0.001, (int) $config['connect_timeout_ms'] / 1000), max(0.001, (int) $config['timeout_ms'] / 1000),
            max(0.0, (float) $config['backoff_seconds']), $version, $log);
    }

    /**
     * @param  list<Span>  $spans
     * @return string|null null when the collector took them, else why they were dropped
     *                     (DROPPED_BACKOFF, DROPPED_ERROR)
     */
    public function export(array $spans): ?string
    {
        if ($spans === []) {
            return null;
        }
        if ($this->backingOff()) {
            return self::DROPPED_BACKOFF;
        }
        $response = null;
        try {
            $response = $this->http->request('POST', $this->endpoint.self::PATH, [
                'headers' => ['Content-Type' => 'application/json', 'Accept' => 'application/json'],
                'body' => json_encode($this->body($spans), JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE),
                // Symfony's idle timeout: the connect, and each wait for the next bytes
                'timeout' => $this->connectTimeout,
                // the whole exchange
                'max_duration' => $this->timeout,
            ]);
            $status = $response->getStatusCode();
            // the whole answer, within the same timeouts: a collector stalling after its headers fails here
            $response->getContent(false);
        } catch (Throwable $error) {
            $status = 0;
            $reason = $error::class.': '.$error->getMessage();
        }
        if ($status >= 200 && $status < 300) {
            return null;
        }
        try {
            // a failed response rethrows its error when destroyed unless cancelled
            $response?->cancel();
            unset($response);
        } catch (Throwable) {
        }
        $this->backOff();
        try {
            $this->log?->warning('trace export failed', [
                'endpoint' => $this->endpoint.self::PATH,
                'reason' => mb_substr($reason ?? "HTTP {$status}", 0, 300),
                'spans_dropped' => count($spans),
                'backoff_seconds' => $this->backoffSeconds,
            ]);
        } catch (Throwable) {
        }

        return self::DROPPED_ERROR;
    }

    /**
     * The OTLP JSON request body for `spans`.
     *
     * @param  list<Span>  $spans
     * @return array<string, mixed>
     */
    public function body(array $spans): array
    {
        return ['resourceSpans' => [[
            'resource' => ['attributes' => self::attributes($this->resource)],
            'scopeSpans' => [[
                'scope' => ['name' => 'App\\Tracing', 'version' => $this->scopeVersion],
                'spans' => array_map(self::span(...), $spans),
            ]],
        ]]];
    }

    /** @return array<string, mixed> */
    private static function span(Span $span): array
    {
        $out = [
            'traceId' => $span->context->traceId,
            'spanId' => $span->context->spanId,
        ];
        if ($span->parentSpanId !== null) {
            $out['parentSpanId'] = $span->parentSpanId;
        }
        $out += [
            'name' => $span->name,
            'kind' => $span->kind->value,
            'startTimeUnixNano' => (string) $span->startNs,
            'endTimeUnixNano' => (string) ($span->endNs ?? $span->startNs),
            'attributes' => self::attributes($span->attributes),
            'status' => ['code' => $span->status] + ($span->statusMessage !== '' ? ['message' => $span->statusMessage] : []),
        ];

        return $out;
    }

    /**
     * @param  array<string, string|int|float|bool>  $attributes
     * @return list<array{key: string, value: array<string, string|float|bool>}>
     */
    private static function attributes(array $attributes): array
    {
        $out = [];
        foreach ($attributes as $key => $value) {
            $out[] = ['key' => (string) $key, 'value' => match (true) {
                is_bool($value) => ['boolValue' => $value],
                // int64 is a string in proto3's JSON mapping
                is_int($value) => ['intValue' => (string) $value],
                is_float($value) => ['doubleValue' => $value],
                default => ['stringValue' => (string) $value],
            }];
        }

        return $out;
    }

    private function backingOff(): bool
    {
        if ($this->backoffSeconds <= 0) {
            return false;
        }
        $until = self::apcu() ? (float) apcu_fetch($this->backoffKey()) : (self::$failedUntil[$this->backoffKey()] ?? 0.0);

        return microtime(true) < $until;
    }

    private function backOff(): void
    {
        if ($this->backoffSeconds <= 0) {
            return;
        }
        $until = microtime(true) + $this->backoffSeconds;
        self::$failedUntil[$this->backoffKey()] = $until;
        if (self::apcu()) {
            apcu_store($this->backoffKey(), $until, (int) ceil($this->backoffSeconds));
        }
    }

    private function backoffKey(): string
    {
        return 'lks_tracing_backoff:'.md5($this->endpoint);
    }

    private static function apcu(): bool
    {
        return function_exists('apcu_enabled') && apcu_enabled();
    }
}
