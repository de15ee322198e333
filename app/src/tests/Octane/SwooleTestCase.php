<?php

namespace Tests\Octane;

use Tests\TestCase;

/** Tests of the Swoole variant: they need ext-swoole (and Octane), which no offline build has. */
abstract class SwooleTestCase extends TestCase
{
    public const OFFLINE_REASON = 'swoole: extension not installable offline (no PECL/Packagist); run with --profile online';

    protected function setUp(): void
    {
        if (! extension_loaded('swoole')) {
            $this->markTestSkipped(self::OFFLINE_REASON);
        }
        parent::setUp();
    }
}
