<?php

namespace Tests\Feature\Concerns;

use Illuminate\Foundation\Application;
use PHPUnit\Framework\Attributes\After;
use Symfony\Component\HttpClient\MockHttpClient;
use Symfony\Component\HttpClient\Response\MockResponse;
use Symfony\Contracts\HttpClient\ResponseInterface;

/**
 * Tracing on, as a container has it: the OTEL_* variables in the environment before the
 * application boots (the provider wires the query and Redis listeners at boot), and the exporter's
 * HTTP client replaced by Symfony's MockHttpClient, a fake collector that records every request
 * (`$this->exports`) and answers 200 unless told otherwise. The variables stay for the test's later
 * applications (loginAs(), anotherReplica()) and are removed after it.
 */
trait RecordsTraces
{
    /** @var list<array{method: string, url: string, content_type: string, body: array<string, mixed>}> */
    protected array $exports = [];

    /** @var array<string, string> */
    private array $tracingEnv = [];

    private ?MockHttpClient $collector = null;

    /**
     * @param  array<string, string>  $env  on top of an endpoint and no backoff
     * @param  (callable(string, string, array<string, mixed>): ResponseInterface)|null  $respond  the collector's answer
     * @param  bool  $fake  false: the real HTTP client (an endpoint the test owns on 127.0.0.1)
     */
    protected function withTracing(array $env = [], ?callable $respond = null, bool $fake = true): static
    {
        $this->tracingEnv = $env + ['OTEL_EXPORTER_OTLP_ENDPOINT' => 'http://collector.test:4318', 'TRACING_BACKOFF_SECONDS' => '0'];
        foreach ($this->tracingEnv as $name => $value) {
            putenv("{$name}={$value}");
            $_ENV[$name] = $_SERVER[$name] = $value;
        }
        $this->collector = ! $fake ? null : new MockHttpClient(function (string $method, string $url, array $options) use ($respond): ResponseInterface {
            $this->exports[] = [
                'method' => $method,
                'url' => $url,
                'content_type' => (string) ($options['normalized_headers']['content-type'][0] ?? ''),
                'body' => json_decode((string) $options['body'], true, flags: JSON_THROW_ON_ERROR),
            ];

            return $respond !== null ? $respond($method, $url, $options) : new MockResponse('{}', ['http_code' => 200]);
        });
        $this->refreshApplication();

        return $this;
    }

    public function createApplication(): Application
    {
        $app = parent::createApplication();
        if ($this->collector !== null) {
            $app->instance('tracing.http_client', $this->collector);
        }

        return $app;
    }

    #[After]
    protected function forgetTracingEnv(): void
    {
        foreach (array_keys($this->tracingEnv) as $name) {
            putenv($name);
            unset($_ENV[$name], $_SERVER[$name]);
        }
        $this->tracingEnv = [];
    }

    /** @return list<array<string, mixed>> every span of every export so far, in order */
    protected function exportedSpans(): array
    {
        $spans = [];
        foreach ($this->exports as $export) {
            foreach ($export['body']['resourceSpans'] as $resource) {
                foreach ($resource['scopeSpans'] as $scope) {
                    array_push($spans, ...$scope['spans']);
                }
            }
        }

        return $spans;
    }

    /** @return array<string, mixed> the attributes of an OTLP span (or resource) as key => value */
    protected static function attributesOf(array $item): array
    {
        $out = [];
        foreach ($item['attributes'] ?? [] as $attribute) {
            $value = $attribute['value'];
            $out[$attribute['key']] = $value['stringValue'] ?? $value['boolValue'] ?? $value['doubleValue'] ?? (int) $value['intValue'];
        }

        return $out;
    }

    /** The value of a counter in this app's /metrics exposition (0 when absent). */
    protected function counter(string $series): float
    {
        $text = $this->app->make(\App\Metrics\Registry::class)->render();

        return preg_match('/^'.preg_quote($series, '/').' (\S+)$/m', $text, $m) === 1 ? (float) $m[1] : 0.0;
    }
}
