<?php

/*
 * opcache.preload script (php.ini: opcache.preload=${PHP_OPCACHE_PRELOAD}; the FPM entrypoint sets
 * it to this file, empty disables it). Runs once in the FPM master at start: the classes of the
 * hot request path (listed at build time by bootstrap/preload-warmup.php) are compiled and linked
 * into shared memory, so no worker compiles or links them per request. Loading through the
 * autoloader keeps parents before children. Code changes need a restart (as with
 * validate_timestamps=0): a deploy is a new container anyway.
 */

$base = dirname(__DIR__);
$list = $base.'/bootstrap/preload-classes.php';
if (! is_file($list)) {
    return;
}
require_once $base.'/vendor/autoload.php';
foreach (require $list as $class) {
    class_exists($class) || interface_exists($class) || trait_exists($class);
}
