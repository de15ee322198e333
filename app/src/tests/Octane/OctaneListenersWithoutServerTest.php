<?php

namespace Tests\Octane;

use App\Octane\LogRequest;
use App\Octane\MarkWorkerBusy;
use App\Octane\RecordWorkerMemory;
use App\Octane\RefuseConnectionsOnStop;
use Illuminate\Http\Request;
use Illuminate\Http\Response;
use PHPUnit\Framework\Attributes\Group;
use Psr\Log\LoggerInterface;
use Tests\TestCase;

/**
 * The app's Octane listeners where no Swoole server is bound (Octane's test worker, artisan): they
 * do nothing instead of throwing (Octane::table() throws there). And the access log line.
 */
class OctaneListenersWithoutServerTest extends TestCase
{
    protected array $truncate = [];

    private function event(): object
    {
        $request = Request::create('/api/ping', 'GET', server: ['REQUEST_TIME_FLOAT' => microtime(true) - 0.25]);

        return (object) ['app' => $this->app, 'sandbox' => $this->app, 'request' => $request, 'response' => new Response('{}', 201)];
    }

    #[Group('octane-swoole-config')]
    public function test_the_worker_table_listeners_do_nothing_without_a_swoole_server(): void
    {
        $this->assertFalse($this->app->bound(\Swoole\Http\Server::class));
        foreach ([MarkWorkerBusy::class, RecordWorkerMemory::class, RefuseConnectionsOnStop::class] as $listener) {
            (new $listener())->handle($this->event());
        }
        $this->addToAssertionCount(1); // reached: none threw
    }

    #[Group('structured-logs')]
    public function test_the_access_log_line_has_route_status_duration_and_worker(): void
    {
        $lines = [];
        $logger = new class($lines) extends \Psr\Log\AbstractLogger {
            public function __construct(private array &$lines)
            {
            }

            public function log($level, \Stringable|string $message, array $context = []): void
            {
                $this->lines[] = [$level, (string) $message, $context];
            }
        };
        $this->app->instance(LoggerInterface::class, $logger);

        (new LogRequest())->handle($this->event());

        $this->assertCount(1, $lines);
        [$level, $message, $context] = $lines[0];
        $this->assertSame(['info', 'request'], [$level, $message]);
        $this->assertSame(['GET', 'unmatched', '/api/ping', 201], [$context['method'], $context['route'], $context['path'], $context['status']]);
        $this->assertGreaterThanOrEqual(250.0, $context['duration_ms']);
        $this->assertArrayHasKey('worker_id', $context);
    }
}
