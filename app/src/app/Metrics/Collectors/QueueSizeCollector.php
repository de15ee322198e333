<?php

namespace App\Metrics\Collectors;

use App\Metrics\Collector;
use Illuminate\Contracts\Queue\Factory as QueueFactory;

/** laravel_queue_size{queue}: pending jobs (ready + delayed + reserved) of each monitored queue. */
final class QueueSizeCollector implements Collector
{
    /** @param list<string> $queues */
    public function __construct(private readonly QueueFactory $queue, private readonly array $queues)
    {
    }

    public function collect(): array
    {
        $connection = $this->queue->connection();
        $out = [];
        foreach ($this->queues as $name) {
            $out[] = ['laravel_queue_size', '', ['queue' => $name], (float) $connection->size($name)];
        }

        return $out;
    }
}
