<?php

namespace Tests\Unit;

use App\Filesystem\S3Adapter;
use App\Filesystem\S3Signer;
use App\Filesystem\StoreUnavailable;
use AsyncAws\Core\Credentials\Credentials;
use AsyncAws\Core\Request;
use AsyncAws\Core\RequestContext;
use AsyncAws\Core\Signer\SignerV4;
use AsyncAws\Core\Stream\StringStream;
use DateTimeImmutable;
use League\Flysystem\Config;
use League\Flysystem\UnableToReadFile;
use League\Flysystem\UnableToWriteFile;
use PHPUnit\Framework\Attributes\Group;
use PHPUnit\Framework\TestCase;
use Symfony\Component\HttpClient\MockHttpClient;
use Symfony\Component\HttpClient\Response\MockResponse;

/**
 * The object store adapter without a server: SigV4 against the worked examples of AWS's S3
 * documentation ("Signature Calculations for the Authorization Header" and "Query String
 * Authentication", example credentials AKIAIOSFODNN7EXAMPLE, 2013-05-24), and how each kind of
 * store failure surfaces. tests/container/test_uploads.py runs it against a real SeaweedFS.
 */
#[Group('uploads-object-storage')]
class S3AdapterTest extends TestCase
{
    private const KEY = 'AKIAIOSFODNN7EXAMPLE';

    private const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

    private const EXAMPLE_DATE = '2013-05-24T00:00:00Z';

    /** @var list<array{method: string, url: string, headers: array<string, string>, body: string}> */
    private array $sent = [];

    public function test_put_object_is_signed_exactly_like_the_aws_documentation_example(): void
    {
        // PUT /test$file.text: '$' is encoded once (%24) in the canonical path, as S3 requires
        $request = $this->putExample();
        (new S3Signer('us-east-1'))->sign($request, new Credentials(self::KEY, self::SECRET), $this->at(self::EXAMPLE_DATE));

        $this->assertSame(
            'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, '
            .'SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, '
            .'Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
            $request->getHeader('authorization'),
        );
    }

    public function test_the_generic_signer_double_encodes_the_path_and_gets_another_signature(): void
    {
        // the negative case: without S3Signer's path rule the same request signs differently
        $request = $this->putExample();
        (new SignerV4('s3', 'us-east-1'))->sign($request, new Credentials(self::KEY, self::SECRET), $this->at(self::EXAMPLE_DATE));

        $this->assertStringNotContainsString('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd', (string) $request->getHeader('authorization'));
    }

    public function test_a_presigned_get_matches_the_aws_query_string_example(): void
    {
        $adapter = $this->adapter(new MockHttpClient(), 'https://s3.amazonaws.com', pathStyle: false, bucket: 'examplebucket');

        $url = $adapter->getTemporaryUrl('test.txt', new DateTimeImmutable('2013-05-25T00:00:00Z'));

        $this->assertStringStartsWith('https://examplebucket.s3.amazonaws.com/test.txt?', $url);
        parse_str((string) parse_url($url, PHP_URL_QUERY), $query);
        $this->assertSame([
            'X-Amz-Algorithm' => 'AWS4-HMAC-SHA256',
            'X-Amz-Credential' => 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request',
            'X-Amz-Date' => '20130524T000000Z',
            'X-Amz-Expires' => '86400',
            'X-Amz-Signature' => 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
            'X-Amz-SignedHeaders' => 'host',
        ], $this->sorted($query));
    }

    public function test_a_streamed_upload_is_a_path_style_put_carrying_the_body_and_its_sha256(): void
    {
        $body = random_bytes(100_000);
        $stream = fopen('php://temp', 'w+b');
        fwrite($stream, $body);
        rewind($stream);
        $adapter = $this->adapter($this->recording(new MockResponse('', ['http_code' => 200])));

        $adapter->writeStream('attachments/a b', $stream, new Config(['ContentType' => 'image/png']));

        $this->assertCount(1, $this->sent);
        $this->assertSame('PUT', $this->sent[0]['method']);
        $this->assertSame('http://store:8333/uploads/attachments/a%20b', $this->sent[0]['url']);
        $this->assertSame(hash('sha256', $body), $this->sent[0]['headers']['x-amz-content-sha256']);
        $this->assertSame('image/png', $this->sent[0]['headers']['content-type']);
        $this->assertSame('100000', $this->sent[0]['headers']['content-length']);
        $this->assertStringStartsWith('AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=', $this->sent[0]['headers']['authorization']);
        $this->assertSame(hash('sha256', $body), hash('sha256', $this->sent[0]['body']), 'the body sent is not the file');
    }

    public function test_a_store_that_cannot_be_reached_is_store_unavailable(): void
    {
        $adapter = $this->adapter($this->recording(new MockResponse('', ['error' => 'Connection refused for "http://store:8333/uploads/k"'])));

        $this->expectException(StoreUnavailable::class);
        $this->expectExceptionMessage('Connection refused');
        $adapter->write('k', 'x', new Config());
    }

    public function test_a_5xx_answer_is_store_unavailable_with_the_s3_error_code(): void
    {
        $xml = '<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>Reduce your request rate.</Message></Error>';
        $adapter = $this->adapter($this->recording(new MockResponse($xml, ['http_code' => 503])));

        $this->expectException(StoreUnavailable::class);
        $this->expectExceptionMessage('HTTP 503 ServiceUnavailable: Reduce your request rate.');
        $adapter->write('k', 'x', new Config());
    }

    public function test_a_refused_signature_is_unable_to_write_with_the_s3_error_code(): void
    {
        $xml = '<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match.</Message></Error>';
        $adapter = $this->adapter($this->recording(new MockResponse($xml, ['http_code' => 403])));

        try {
            $adapter->write('k', 'x', new Config());
            $this->fail('no exception');
        } catch (UnableToWriteFile $e) {
            $this->assertStringContainsString('HTTP 403 SignatureDoesNotMatch', $e->getMessage());
            $this->assertNotInstanceOf(StoreUnavailable::class, $e);
        }
    }

    public function test_a_missing_object_is_unable_to_read_and_does_not_exist(): void
    {
        $xml = '<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>';
        $adapter = $this->adapter($this->recording(
            new MockResponse('', ['http_code' => 404]),
            new MockResponse('', ['http_code' => 200]),
            new MockResponse($xml, ['http_code' => 404]),
        ));

        $this->assertFalse($adapter->fileExists('gone'));
        $this->assertTrue($adapter->fileExists('here'));
        $this->expectException(UnableToReadFile::class);
        $this->expectExceptionMessage('HTTP 404 NoSuchKey');
        $adapter->read('gone');
    }

    public function test_from_config_names_the_missing_setting(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage("'bucket' is not set");
        S3Adapter::fromConfig(new MockHttpClient(), ['key' => 'k', 'secret' => 's', 'bucket' => '']);
    }

    // ---------------------------------------------------------------------------------------

    private function putExample(): Request
    {
        $request = new Request('PUT', '/test%24file.text', [], [
            'date' => 'Fri, 24 May 2013 00:00:00 GMT',
            'x-amz-storage-class' => 'REDUCED_REDUNDANCY',
            'x-amz-content-sha256' => hash('sha256', 'Welcome to Amazon S3.'),
        ], StringStream::create('Welcome to Amazon S3.'));
        $request->setEndpoint('https://examplebucket.s3.amazonaws.com/test%24file.text');

        return $request;
    }

    private function at(string $date): RequestContext
    {
        return new RequestContext(['currentDate' => new DateTimeImmutable($date)]);
    }

    private function adapter(MockHttpClient $http, string $endpoint = 'http://store:8333', bool $pathStyle = true, string $bucket = 'uploads'): S3Adapter
    {
        return new S3Adapter(
            $http, new Credentials(self::KEY, self::SECRET), 'us-east-1', $bucket, $endpoint, $pathStyle,
            clock: fn () => new DateTimeImmutable(self::EXAMPLE_DATE),
        );
    }

    private function recording(MockResponse ...$responses): MockHttpClient
    {
        return new MockHttpClient(function (string $method, string $url, array $options) use (&$responses) {
            $headers = [];
            foreach ($options['normalized_headers'] as $name => $lines) {
                $headers[$name] = substr($lines[0], strlen($name) + 2);
            }
            $body = $options['body'] ?? '';
            if (is_resource($body)) {
                $body = stream_get_contents($body);
            } elseif (is_callable($body)) {
                $chunks = '';
                while ('' !== $chunk = $body(16384)) {
                    $chunks .= $chunk;
                }
                $body = $chunks;
            }
            $this->sent[] = ['method' => $method, 'url' => $url, 'headers' => $headers, 'body' => (string) $body];

            return array_shift($responses);
        });
    }

    /** @param array<string, mixed> $a */
    private function sorted(array $a): array
    {
        ksort($a);

        return $a;
    }
}
