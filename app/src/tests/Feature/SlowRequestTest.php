<?php

namespace Tests\Feature;

use PHPUnit\Framework\Attributes\Group;
use Tests\Feature\Concerns\TestsAMillisecondsEndpoint;
use Tests\TestCase;

#[Group('graceful-shutdown')]
class SlowRequestTest extends TestCase
{
    use TestsAMillisecondsEndpoint;

    protected const ENDPOINT = 'slow';

    public function test_the_slow_endpoint_holds_the_request_for_the_requested_milliseconds(): void
    {
        $response = $this->getTaking(150);

        $this->assertGreaterThanOrEqual(150, $response->json('slept_ms'));
        $this->assertIsInt($response->json('pid'));
    }

    public function test_the_slow_endpoint_accepts_its_bounds(): void
    {
        $this->getJson('/api/slow?ms=1')->assertOk()->assertJsonPath('ms', 1);
        config(['slow.min_ms' => 25]);
        $this->getJson('/api/slow?ms=25')->assertOk()->assertJsonPath('ms', 25);
        $this->getJson('/api/slow?ms=24')->assertStatus(422)->assertJsonValidationErrors(['ms']);
    }

    public function test_absurd_or_missing_durations_are_rejected_with_422_json(): void
    {
        $max = (int) config('slow.max_ms');
        $this->assertSame(20000, $max, 'default ceiling: the web pod\'s FPM process_control_timeout');
        foreach (['0', '-5', (string) ($max + 1), '86400000', 'abc', '1.5', ''] as $ms) {
            $this->getJson('/api/slow?ms='.urlencode($ms))
                ->assertStatus(422)
                ->assertHeader('Content-Type', 'application/json')
                ->assertJsonValidationErrors(['ms']);
        }
        $this->getJson('/api/slow')->assertStatus(422)->assertJsonValidationErrors(['ms']);
    }

    public function test_the_slow_endpoint_is_get_only(): void
    {
        $this->postJson('/api/slow?ms=1')->assertStatus(405);
    }
}
