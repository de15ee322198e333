<?php

namespace Tests\Octane;

use PHPUnit\Framework\Attributes\Group;

/** The reset listeners only run if config/octane.php names the events exactly as Octane fires them. */
#[Group('swoole-memory-leak-prevention')]
class OctaneListenersTest extends SwooleTestCase
{
    protected array $truncate = [];

    public function test_every_configured_event_and_listener_is_a_loadable_class_name(): void
    {
        $listeners = config('octane.listeners');
        $this->assertArrayHasKey(\Laravel\Octane\Events\RequestReceived::class, $listeners);
        foreach ($listeners as $event => $classes) {
            $this->assertTrue(class_exists($event) || interface_exists($event), "event {$event}");
            foreach ($classes as $listener) {
                $this->assertTrue(class_exists($listener), "listener {$listener} of {$event}");
            }
        }
        $this->assertContains(\Laravel\Octane\Listeners\FlushAuthenticationState::class, $listeners[\Laravel\Octane\Events\RequestReceived::class]);
    }
}
