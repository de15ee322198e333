<?php

namespace Tests\Feature;

use PHPUnit\Framework\Attributes\Group;
use Tests\Feature\Concerns\TestsAMillisecondsEndpoint;
use Tests\TestCase;

#[Group('stress-endpoint')]
class StressTest extends TestCase
{
    use TestsAMillisecondsEndpoint;

    protected const ENDPOINT = 'stress';

    public function test_the_stress_endpoint_burns_cpu_for_the_requested_milliseconds(): void
    {
        $response = $this->getTaking(40);

        // the time is spent hashing (CPU work the HPA sees), not sleeping; how much CPU it got is
        // the machine's business and is measured by the benchmarks, not asserted here
        $this->assertGreaterThan(1000, $response->json('iterations'));
        $this->assertMatchesRegularExpression('/^[0-9a-f]{16}$/', (string) $response->json('hash'));
    }

    public function test_the_stress_endpoint_accepts_the_bounds_and_defaults(): void
    {
        $this->getJson('/api/stress?ms=1')->assertOk()->assertJsonPath('ms', 1);
        $this->getJson('/api/stress')->assertOk()->assertJsonPath('ms', (int) config('stress.default_ms'));
        $this->getJson('/api/stress-test?ms=5')->assertOk()->assertJsonPath('ms', 5);
    }

    public function test_absurd_work_parameters_are_rejected_with_422(): void
    {
        foreach (['0', '-5', '501', '100000', 'abc', '1.5'] as $ms) {
            $this->getJson('/api/stress?ms='.urlencode($ms))->assertStatus(422)->assertJsonValidationErrors(['ms']);
        }
    }
}
