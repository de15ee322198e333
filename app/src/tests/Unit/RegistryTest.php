<?php

namespace Tests\Unit;

use App\Metrics\Collectors\FpmPoolCollector;
use App\Metrics\Registry;
use App\Metrics\Storage\MemoryStorage;
use InvalidArgumentException;
use PHPUnit\Framework\Attributes\Group;
use PHPUnit\Framework\TestCase;

#[Group('custom-prometheus-metrics')]
class RegistryTest extends TestCase
{
    public function test_a_typo_in_a_label_name_is_refused_instead_of_creating_a_series(): void
    {
        $registry = new Registry(new MemoryStorage(), new MemoryStorage());

        $this->expectException(InvalidArgumentException::class);
        $registry->increment('http_requests_total', ['method' => 'GET', 'path' => '/x', 'status' => '200']);
    }

    public function test_a_counter_cannot_be_observed_as_a_histogram(): void
    {
        $registry = new Registry(new MemoryStorage(), new MemoryStorage());

        $this->expectException(InvalidArgumentException::class);
        $registry->observe('http_requests_total', ['method' => 'GET', 'route' => 'r', 'status' => '200'], 1);
    }

    public function test_queue_counters_go_to_the_shared_storage_and_requests_to_the_local_one(): void
    {
        $local = new MemoryStorage();
        $shared = new MemoryStorage();
        $registry = new Registry($local, $shared);

        $registry->increment('http_requests_total', ['method' => 'GET', 'route' => 'r', 'status' => '200']);
        $registry->increment('laravel_queue_jobs_processed_total', ['queue' => 'default', 'job' => 'J']);

        $this->assertSame('http_requests_total', $local->samples()[0][0]);
        $this->assertSame('laravel_queue_jobs_processed_total', $shared->samples()[0][0]);
        $text = $registry->render();
        $this->assertStringContainsString('http_requests_total{method="GET",route="r",status="200"} 1', $text);
        $this->assertStringContainsString('laravel_queue_jobs_processed_total{job="J",queue="default"} 1', $text);
    }

    #[Group('php-laravel-metrics')]
    public function test_the_fpm_pool_status_becomes_php_fpm_pool_series(): void
    {
        $status = [
            'pool' => 'www', 'accepted-conn' => 120, 'listen-queue' => 2, 'max-listen-queue' => 9,
            'idle-processes' => 3, 'active-processes' => 1, 'total-processes' => 4,
            'max-children-reached' => 5, 'slow-requests' => 7,
        ];
        $registry = new Registry(new MemoryStorage(), new MemoryStorage(), [new FpmPoolCollector(8, fn () => $status)]);

        $text = $registry->render();

        foreach ([
            'php_fpm_pool_processes_total{pool="www"} 4',
            'php_fpm_pool_processes_active{pool="www"} 1',
            'php_fpm_pool_processes_idle{pool="www"} 3',
            'php_fpm_pool_processes_max{pool="www"} 8',
            'php_fpm_pool_processes_max_reached{pool="www"} 5',
            'php_fpm_pool_slow_requests_total{pool="www"} 7',
            'php_fpm_pool_listen_queue{pool="www"} 2',
            'php_fpm_pool_listen_queue_max{pool="www"} 9',
            'php_fpm_pool_accepted_connections_total{pool="www"} 120',
        ] as $line) {
            $this->assertStringContainsString($line."\n", $text);
        }
    }

    public function test_a_failing_collector_does_not_break_the_scrape(): void
    {
        $broken = new class implements \App\Metrics\Collector
        {
            public function collect(): array
            {
                throw new \RuntimeException('source down');
            }
        };
        $local = new MemoryStorage();
        $local->increment('http_requests_total', ['method' => 'GET', 'route' => 'r', 'status' => '200']);
        $registry = new Registry($local, new MemoryStorage(), [$broken]);

        $this->assertStringContainsString('http_requests_total', $registry->render());
    }
}
