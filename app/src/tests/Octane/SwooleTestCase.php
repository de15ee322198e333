<?php

namespace Tests\Octane;

use Tests\TestCase;

/**
 * Tests of the Swoole variant: they need ext-swoole (and Octane), which only the php-test image
 * built with Swoole has. They skip elsewhere with the reason the Python suite passes in
 * LKS_SWOOLE_SKIP_REASON (its one copy: suite/project.py), so both report the same words; run by
 * hand without it, the skip says what is missing.
 */
abstract class SwooleTestCase extends TestCase
{
    protected function setUp(): void
    {
        if (! extension_loaded('swoole')) {
            $this->markTestSkipped(self::skipReason());
        }
        parent::setUp();
    }

    public static function skipReason(): string
    {
        $reason = getenv('LKS_SWOOLE_SKIP_REASON');

        return is_string($reason) && trim($reason) !== ''
            ? $reason
            : sprintf('ext-swoole is not loaded in %s (PHP %s; laravel/octane %s): run these tests in the php-test image built with Swoole and Octane',
                PHP_BINARY, PHP_VERSION, class_exists(\Laravel\Octane\Octane::class) ? 'installed' : 'missing too');
    }
}
