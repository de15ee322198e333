<?php

namespace App\Filesystem;

use AsyncAws\Core\Request;
use AsyncAws\Core\Signer\SigningContext;
use AsyncAws\Core\Signer\SignerV4;

/**
 * AWS Signature Version 4 with S3's two differences from the other services: the path is
 * encoded once, not twice (the caller passes the URI encoded), the body is never read into
 * memory to be signed (the caller sends its SHA-256 in x-amz-content-sha256), and presigned
 * URLs sign UNSIGNED-PAYLOAD.
 */
final class S3Signer extends SignerV4
{
    public function __construct(string $region)
    {
        parent::__construct('s3', $region);
    }

    protected function buildCanonicalPath(Request $request): string
    {
        return '/'.ltrim($request->getUri(), '/');
    }

    protected function buildBodyDigest(Request $request, bool $isPresign): string
    {
        // a presigned URL signs no body, and carries no x-amz-content-sha256 parameter
        return $isPresign ? 'UNSIGNED-PAYLOAD' : parent::buildBodyDigest($request, $isPresign);
    }

    protected function convertBodyToStream(SigningContext $context): void
    {
        // keep the caller's stream: a 20 MB upload is streamed from PHP's temporary file
    }
}
