<?php

/*
 * Distributed tracing (App\Tracing, docs/OBSERVABILITY.md "Tracing"): W3C trace context in, spans
 * out as OTLP/HTTP JSON to a collector (Jaeger, an OpenTelemetry Collector). The variable names are
 * OpenTelemetry's where it has one; the TRACING_* ones are the app's own.
 */

$endpoint = rtrim((string) env('OTEL_EXPORTER_OTLP_ENDPOINT', ''), '/');

return [

    // Base URL of the collector's OTLP/HTTP receiver (e.g. http://jaeger:4318); the spans are
    // POSTed to {endpoint}/v1/traces. Empty: tracing is off (no span is made, nothing is sent).
    'endpoint' => $endpoint,

    'enabled' => $endpoint !== '',

    // The service.name resource attribute: how the collector names this app.
    'service_name' => env('OTEL_SERVICE_NAME', 'laravel-k8s-showcase'),

    // Which traces are recorded. Supported: "parentbased_traceidratio" (a sampled or unsampled
    // caller's traceparent decides; else the ratio), "traceidratio" (the ratio, whatever the
    // caller says), "parentbased_always_on", "always_on", "always_off".
    'sampler' => env('OTEL_TRACES_SAMPLER', 'parentbased_traceidratio'),

    // The sampled ratio of new traces, 0.0 .. 1.0 (the "traceidratio" samplers).
    'sampler_ratio' => (float) env('OTEL_TRACES_SAMPLER_ARG', 1.0),

    // Milliseconds an export may take in all (after the response is sent; then it is dropped).
    'timeout_ms' => (int) env('OTEL_EXPORTER_OTLP_TIMEOUT', 500),

    // Milliseconds to connect to the collector, and without a byte from it.
    'connect_timeout_ms' => (int) env('TRACING_CONNECT_TIMEOUT_MS', 200),

    // Spans buffered per request (per job in the queue worker); beyond it they are dropped
    // (app_trace_spans_dropped_total{reason="queue_full"}).
    'max_queue_size' => (int) env('OTEL_BSP_MAX_QUEUE_SIZE', 512),

    // Seconds during which this server sends no span after an export failed (shared by the FPM
    // workers through APCu; per process elsewhere): a dead collector costs one timeout per
    // interval, not one per request. 0: try every time.
    'backoff_seconds' => (float) env('TRACING_BACKOFF_SECONDS', 5),

    // Request paths that get no span: the probes and the scrape (comma separated).
    'excluded_paths' => array_values(array_filter(array_map('trim', explode(',', (string) env('TRACING_EXCLUDED_PATHS', '/health,/ready,/metrics'))))),

];
