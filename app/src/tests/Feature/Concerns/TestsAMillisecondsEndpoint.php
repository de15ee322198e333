<?php

namespace Tests\Feature\Concerns;

use Illuminate\Testing\TestResponse;

/**
 * What /api/slow and /api/stress share: GET /api/<endpoint>?ms=N holds the request for N ms of
 * wall time, within the bounds of config/<endpoint>.php. The using test class names the endpoint
 * in its ENDPOINT constant (slow, stress): the path under /api/ and the config file of its bounds.
 */
trait TestsAMillisecondsEndpoint
{
    /** GET ?ms=$ms: 200, the same ms echoed, and at least $ms of wall time spent. */
    protected function getTaking(int $ms): TestResponse
    {
        $start = hrtime(true);

        $response = $this->getJson('/api/'.static::ENDPOINT."?ms={$ms}");

        $elapsedMs = (hrtime(true) - $start) / 1e6;
        $response->assertOk()->assertJsonPath('ms', $ms);
        $this->assertGreaterThanOrEqual($ms, $elapsedMs);

        return $response;
    }

    public function test_the_bound_comes_from_the_environment(): void
    {
        config([static::ENDPOINT.'.max_ms' => 20]);
        $this->getJson('/api/'.static::ENDPOINT.'?ms=20')->assertOk();
        $this->getJson('/api/'.static::ENDPOINT.'?ms=21')->assertStatus(422)->assertJsonValidationErrors(['ms']);
    }
}
