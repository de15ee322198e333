<?php

namespace App\Logging;

use App\Metrics\Registry;
use Illuminate\Container\Container;
use Illuminate\Log\Logger;
use Monolog\LogRecord;
use Throwable;

/**
 * Tap of the stderr channel (config/logging.php): every record the channel writes is counted in
 * app_log_records_total{level}, the source of the log-volume panel and of the LaravelErrorLogRate
 * alert (monitoring/alerts/app.yml). Counting never fails a log call: a registry that cannot be
 * reached (a CLI process without shared storage) just does not count.
 */
class CountRecords
{
    public function __invoke(Logger $logger): void
    {
        $logger->getLogger()->pushProcessor(static function (LogRecord $record): LogRecord {
            try {
                Container::getInstance()->make(Registry::class)
                    ->increment('app_log_records_total', ['level' => strtolower($record->level->getName())]);
            } catch (Throwable) {
                // the line matters more than its count
            }

            return $record;
        });
    }
}
