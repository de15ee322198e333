<?php

namespace App\Filesystem;

use AsyncAws\Core\Credentials\Credentials;
use AsyncAws\Core\Request;
use AsyncAws\Core\RequestContext;
use AsyncAws\Core\Stream\StringStream;
use DateTimeImmutable;
use DateTimeInterface;
use League\Flysystem\Config;
use League\Flysystem\DirectoryAttributes;
use League\Flysystem\FileAttributes;
use League\Flysystem\FilesystemAdapter;
use League\Flysystem\UnableToCheckExistence;
use League\Flysystem\UnableToCopyFile;
use League\Flysystem\UnableToDeleteDirectory;
use League\Flysystem\UnableToDeleteFile;
use League\Flysystem\UnableToMoveFile;
use League\Flysystem\UnableToReadFile;
use League\Flysystem\UnableToRetrieveMetadata;
use League\Flysystem\UnableToSetVisibility;
use League\Flysystem\UnableToWriteFile;
use Symfony\Component\HttpClient\Response\StreamWrapper;
use Symfony\Contracts\HttpClient\Exception\TransportExceptionInterface;
use Symfony\Contracts\HttpClient\HttpClientInterface;
use Symfony\Contracts\HttpClient\ResponseInterface;
use Throwable;

/**
 * A Flysystem adapter for S3-compatible object stores (AWS S3, SeaweedFS, ...), small on purpose:
 * Debian packages neither aws-sdk-php nor league/flysystem-aws-s3-v3, so requests are signed with
 * async-aws-core's SigV4 signer (S3Signer) and sent with Symfony's HTTP client. Uploads stream
 * from the caller's resource; downloads stream to the caller (readStream). Errors:
 * StoreUnavailable when the store cannot be reached or answers 5xx, Flysystem's Unable* otherwise
 * (with S3's error code in the message). Registered as the `s3-sigv4` disk driver (AppServiceProvider).
 */
final class S3Adapter implements FilesystemAdapter
{
    private readonly S3Signer $signer;

    /**
     * @param  string  $endpoint  scheme://host[:port] of the store (path-style) or of AWS's regional endpoint
     * @param  string|null  $presignEndpoint  where clients reach the store, for presigned URLs (default: $endpoint)
     * @param  (\Closure(): DateTimeImmutable)|null  $clock  the signing time (tests pin it)
     */
    public function __construct(
        private readonly HttpClientInterface $http,
        private readonly Credentials $credentials,
        private readonly string $region,
        private readonly string $bucket,
        private readonly string $endpoint,
        private readonly bool $pathStyle = true,
        private readonly ?string $presignEndpoint = null,
        private readonly float $timeout = 10.0,
        private readonly ?\Closure $clock = null,
    ) {
        $this->signer = new S3Signer($region);
    }

    /** From a disk of config/filesystems.php (the keys of Laravel's s3 driver). */
    public static function fromConfig(HttpClientInterface $http, array $config): self
    {
        foreach (['key', 'secret', 'bucket'] as $required) {
            if (($config[$required] ?? '') === '') {
                throw new \InvalidArgumentException("object store disk: '{$required}' is not set (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_BUCKET)");
            }
        }
        $region = (string) ($config['region'] ?? '') ?: 'us-east-1';
        $endpoint = (string) ($config['endpoint'] ?? '') ?: "https://s3.{$region}.amazonaws.com";

        return new self(
            $http,
            new Credentials((string) $config['key'], (string) $config['secret']),
            $region,
            (string) $config['bucket'],
            $endpoint,
            (bool) ($config['use_path_style_endpoint'] ?? false),
            ($config['presign_endpoint'] ?? null) ?: null,
            (float) ($config['timeout'] ?? 10),
        );
    }

    public function fileExists(string $path): bool
    {
        $response = $this->send('HEAD', $path);
        $status = $this->status($response);

        return match (true) {
            $status === 404 => false,
            $status < 300 => true,
            default => throw UnableToCheckExistence::forLocation($path, new \RuntimeException($this->error($response))),
        };
    }

    public function directoryExists(string $path): bool
    {
        foreach ($this->listObjects(rtrim($path, '/').'/', false, 1) as $ignored) {
            return true;
        }

        return false;
    }

    public function write(string $path, string $contents, Config $config): void
    {
        $this->put($path, $contents, strlen($contents), hash('sha256', $contents), $config);
    }

    /** @param resource $contents */
    public function writeStream(string $path, $contents, Config $config): void
    {
        $stat = fstat($contents);
        $size = $stat === false ? null : $stat['size'];
        if ($size === null || ! stream_get_meta_data($contents)['seekable']) {
            // not a file: read it once (small bodies only reach here)
            $this->write($path, (string) stream_get_contents($contents), $config);

            return;
        }
        $hash = $config->get('sha256');
        if (! is_string($hash) || strlen($hash) !== 64) {
            $ctx = hash_init('sha256');
            hash_update_stream($ctx, $contents);
            $hash = hash_final($ctx);
        }
        rewind($contents);
        $this->put($path, $contents, $size, $hash, $config);
    }

    public function read(string $path): string
    {
        $response = $this->send('GET', $path);
        $this->expect($response, 200, fn (string $why) => UnableToReadFile::fromLocation($path, $why));

        return $response->getContent();
    }

    /** @return resource */
    public function readStream(string $path)
    {
        $response = $this->send('GET', $path, stream: true);
        $this->expect($response, 200, fn (string $why) => UnableToReadFile::fromLocation($path, $why));

        return StreamWrapper::createResource($response, $this->http);
    }

    public function delete(string $path): void
    {
        $response = $this->send('DELETE', $path);
        $status = $this->status($response);
        if ($status >= 300 && $status !== 404) {
            throw UnableToDeleteFile::atLocation($path, $this->error($response));
        }
    }

    public function deleteDirectory(string $path): void
    {
        try {
            foreach ($this->listObjects(rtrim($path, '/').'/', true) as $item) {
                $this->delete($item->path());
            }
        } catch (StoreUnavailable $e) {
            throw $e;
        } catch (Throwable $e) {
            throw UnableToDeleteDirectory::atLocation($path, $e->getMessage(), $e);
        }
    }

    public function createDirectory(string $path, Config $config): void
    {
        // an object store has no directories: a prefix exists while an object is under it
    }

    public function setVisibility(string $path, string $visibility): void
    {
        throw UnableToSetVisibility::atLocation($path, 'visibility is the bucket policy of the store, not per object');
    }

    public function visibility(string $path): FileAttributes
    {
        throw UnableToRetrieveMetadata::visibility($path, 'visibility is the bucket policy of the store, not per object');
    }

    public function mimeType(string $path): FileAttributes
    {
        return $this->head($path, 'mimeType');
    }

    public function lastModified(string $path): FileAttributes
    {
        return $this->head($path, 'lastModified');
    }

    public function fileSize(string $path): FileAttributes
    {
        return $this->head($path, 'fileSize');
    }

    /** @return iterable<FileAttributes|DirectoryAttributes> */
    public function listContents(string $path, bool $deep): iterable
    {
        $prefix = trim($path, '/');

        return $this->listObjects($prefix === '' ? '' : $prefix.'/', $deep);
    }

    public function move(string $source, string $destination, Config $config): void
    {
        try {
            $this->copy($source, $destination, $config);
            $this->delete($source);
        } catch (StoreUnavailable $e) {
            throw $e;
        } catch (Throwable $e) {
            throw UnableToMoveFile::fromLocationTo($source, $destination, $e);
        }
    }

    public function copy(string $source, string $destination, Config $config): void
    {
        $response = $this->send('PUT', $destination, headers: [
            'x-amz-copy-source' => '/'.$this->bucket.'/'.$this->encodeKey($source),
        ]);
        $this->expect($response, 200, fn (string $why) => UnableToCopyFile::fromLocationTo(
            $source, $destination, new \RuntimeException($why)));
    }

    /** A presigned GET URL (Laravel's Storage::temporaryUrl()); no request is sent. */
    public function getTemporaryUrl(string $path, DateTimeInterface $expiration, array $options = []): string
    {
        $query = [];
        foreach (['ResponseContentDisposition' => 'response-content-disposition', 'ResponseContentType' => 'response-content-type'] as $option => $param) {
            if (isset($options[$option])) {
                $query[$param] = (string) $options[$option];
            }
        }
        $request = $this->signable('GET', $path, $query, [], $this->presignEndpoint ?: $this->endpoint);
        $this->signer->presign($request, $this->credentials, new RequestContext([
            'currentDate' => $this->now(),
            'expirationDate' => DateTimeImmutable::createFromInterface($expiration),
        ]));

        return $request->getEndpoint();
    }

    /** HEAD of the bucket: the readiness check (StoreUnavailable, or a clear error, when it fails). */
    public function checkBucket(): void
    {
        $response = $this->send('HEAD', null);
        $this->expect($response, 200, fn (string $why) => new \RuntimeException("bucket {$this->bucket}: {$why}"));
    }

    // ---------------------------------------------------------------------------------------

    /** @param string|resource $body */
    private function put(string $path, $body, int $size, string $sha256, Config $config): void
    {
        $headers = ['content-length' => (string) $size];
        $type = $config->get('ContentType', $config->get('mimetype'));
        if (is_string($type) && $type !== '') {
            $headers['content-type'] = $type;
        }
        $response = $this->send('PUT', $path, headers: $headers, body: $body, payloadHash: $sha256);
        $this->expect($response, 200, fn (string $why) => UnableToWriteFile::atLocation($path, $why));
    }

    private function head(string $path, string $attribute): FileAttributes
    {
        $response = $this->send('HEAD', $path);
        $this->expect($response, 200, fn (string $why) => UnableToRetrieveMetadata::create($path, $attribute, $why));
        $headers = $response->getHeaders(false);
        $modified = isset($headers['last-modified'][0]) ? strtotime($headers['last-modified'][0]) : false;

        return new FileAttributes(
            $path,
            isset($headers['content-length'][0]) ? (int) $headers['content-length'][0] : null,
            null,
            $modified === false ? null : $modified,
            $headers['content-type'][0] ?? null,
        );
    }

    /** @return \Generator<FileAttributes|DirectoryAttributes> */
    private function listObjects(string $prefix, bool $deep, ?int $max = null): \Generator
    {
        $token = null;
        do {
            $query = ['list-type' => '2', 'prefix' => $prefix] + ($deep ? [] : ['delimiter' => '/'])
                + ($max ? ['max-keys' => (string) $max] : []) + ($token ? ['continuation-token' => $token] : []);
            $response = $this->send('GET', null, $query);
            $this->expect($response, 200, fn (string $why) => new UnableToReadFile("Unable to list {$prefix}: {$why}"));
            $xml = $this->xml($response->getContent());
            foreach ($xml->CommonPrefixes ?? [] as $dir) {
                yield new DirectoryAttributes(rtrim((string) $dir->Prefix, '/'));
            }
            foreach ($xml->Contents ?? [] as $object) {
                $modified = strtotime((string) $object->LastModified);
                yield new FileAttributes((string) $object->Key, (int) $object->Size, null, $modified === false ? null : $modified);
            }
            $token = (string) $xml->IsTruncated === 'true' ? (string) $xml->NextContinuationToken : null;
        } while ($token && ! $max);
    }

    /**
     * Sign and send one request; `$path` null is the bucket itself. The response is lazy: the
     * status call in expect()/status() turns transport errors into StoreUnavailable.
     *
     * @param  array<string, string>  $query
     * @param  array<string, string>  $headers
     * @param  string|resource  $body
     */
    private function send(string $method, ?string $path, array $query = [], array $headers = [], $body = '', ?string $payloadHash = null, bool $stream = false): ResponseInterface
    {
        $request = $this->signable($method, $path, $query, $headers + [
            'x-amz-content-sha256' => $payloadHash ?? hash('sha256', is_string($body) ? $body : ''),
        ], $this->endpoint);
        $this->signer->sign($request, $this->credentials, new RequestContext(['currentDate' => $this->now()]));
        $sent = $request->getHeaders();
        unset($sent['host']); // the URL's host:port, exactly what was signed

        try {
            return $this->http->request($method, $request->getEndpoint(), [
                'headers' => $sent,
                'body' => $body,
                'timeout' => $this->timeout,
                'buffer' => ! $stream,
            ]);
        } catch (TransportExceptionInterface $e) {
            throw StoreUnavailable::because($e);
        }
    }

    /**
     * @param  array<string, string>  $query
     * @param  array<string, string>  $headers
     */
    private function signable(string $method, ?string $path, array $query, array $headers, string $endpoint): Request
    {
        $key = $path === null ? '' : $this->encodeKey($path);
        $uri = $this->pathStyle ? '/'.rawurlencode($this->bucket).($path === null ? '' : '/'.$key) : '/'.$key;
        $request = new Request($method, $uri, $query, $headers, StringStream::create(''));
        $base = rtrim($endpoint, '/');
        if (! $this->pathStyle) {
            $base = preg_replace('#^(https?://)#', '$1'.$this->bucket.'.', $base);
        }
        // the Request takes its URI and query from the full URL (already encoded: signed as is)
        $request->setEndpoint($base.$uri.($query ? '?'.http_build_query($query, '', '&', PHP_QUERY_RFC3986) : ''));

        return $request;
    }

    /** The status code; a transport failure or a 5xx is StoreUnavailable. */
    private function status(ResponseInterface $response): int
    {
        try {
            $status = $response->getStatusCode();
        } catch (TransportExceptionInterface $e) {
            throw StoreUnavailable::because($e);
        }
        if ($status >= 500) {
            throw StoreUnavailable::because(new \RuntimeException($this->error($response)));
        }

        return $status;
    }

    private function expect(ResponseInterface $response, int $ok, \Closure $fail): void
    {
        $status = $this->status($response);
        if ($status !== $ok && ! ($ok === 200 && $status >= 200 && $status < 300)) {
            throw $fail($this->error($response));
        }
    }

    /** "HTTP 403 SignatureDoesNotMatch: <message>" from S3's XML error body (HEAD has none). */
    private function error(ResponseInterface $response): string
    {
        try {
            $status = $response->getStatusCode();
            $body = $response->getContent(false);
        } catch (Throwable $e) {
            return $e->getMessage();
        }
        $code = $message = '';
        if ($body !== '' && ($xml = @simplexml_load_string($body)) !== false) {
            $code = (string) $xml->Code;
            $message = (string) $xml->Message;
        }

        return trim("HTTP {$status} {$code}".($message !== '' ? ": {$message}" : ''));
    }

    private function xml(string $body): \SimpleXMLElement
    {
        $xml = @simplexml_load_string($body);
        if ($xml === false) {
            throw new UnableToReadFile('the store answered a listing that is not XML');
        }

        return $xml;
    }

    private function encodeKey(string $path): string
    {
        return implode('/', array_map('rawurlencode', explode('/', ltrim($path, '/'))));
    }

    private function now(): DateTimeImmutable
    {
        return $this->clock ? ($this->clock)() : new DateTimeImmutable();
    }
}
