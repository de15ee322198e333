<?php

namespace App\Filesystem;

use League\Flysystem\FilesystemException;
use RuntimeException;
use Throwable;

/** The object store cannot be reached or answered 5xx: the request that needed it answers 503. */
final class StoreUnavailable extends RuntimeException implements FilesystemException
{
    public static function because(Throwable $previous): self
    {
        return new self('object store unavailable: '.$previous->getMessage(), 0, $previous);
    }
}
