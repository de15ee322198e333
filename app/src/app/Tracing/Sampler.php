<?php

namespace App\Tracing;

/**
 * Which traces are recorded (config/tracing.php `sampler`). The ratio decision is a function of
 * the trace id (its last 7 bytes against ratio x 2^56), so every service that samples by ratio
 * agrees on a trace; the parent-based samplers follow the caller's sampled flag when there is one.
 * An unknown name is the default, parentbased_traceidratio: a typo in the environment must not
 * fail requests.
 */
final class Sampler
{
    public const SAMPLERS = ['parentbased_traceidratio', 'traceidratio', 'parentbased_always_on', 'always_on', 'always_off'];

    private readonly string $sampler;

    public function __construct(string $sampler, private readonly float $ratio)
    {
        $this->sampler = in_array($sampler, self::SAMPLERS, true) ? $sampler : self::SAMPLERS[0];
    }

    public function shouldSample(string $traceId, ?TraceContext $parent): bool
    {
        if ($parent !== null && str_starts_with($this->sampler, 'parentbased_')) {
            return $parent->sampled;
        }

        return match ($this->sampler) {
            'always_on', 'parentbased_always_on' => true,
            'always_off' => false,
            default => $this->byRatio($traceId),
        };
    }

    private function byRatio(string $traceId): bool
    {
        if ($this->ratio >= 1.0) {
            return true;
        }
        if ($this->ratio <= 0.0) {
            return false;
        }

        return hexdec(substr($traceId, -14)) < $this->ratio * 2 ** 56;
    }
}
