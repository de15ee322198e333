<?php

namespace App\Http\Controllers;

use App\Filesystem\StoreUnavailable;
use App\Metrics\Registry;
use App\Models\Attachment;
use App\Models\Task;
use Illuminate\Contracts\Filesystem\Filesystem;
use Illuminate\Http\Exceptions\HttpResponseException;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\RedirectResponse;
use Illuminate\Http\Request;
use Illuminate\Http\Response;
use Illuminate\Http\UploadedFile;
use Illuminate\Support\Facades\Log;
use Illuminate\Support\Facades\Storage;
use Illuminate\Support\Str;
use Illuminate\Validation\ValidationException;
use Symfony\Component\HttpFoundation\HeaderUtils;
use Symfony\Component\HttpFoundation\StreamedResponse;
use Symfony\Component\HttpKernel\Exception\HttpException;
use Throwable;

/**
 * Task attachments in the object store (docs/UPLOADS.md): upload (multipart field `file`, size and
 * detected MIME type checked), download (streamed, or a redirect to a presigned URL), delete. The
 * object key is random; the client's file name is kept as metadata only. Nothing is written to
 * the pod's disk beyond PHP's own temporary upload file, which is streamed to the store.
 * Every upload is counted by outcome (app_uploads_total, app_upload_bytes_total,
 * app_upload_duration_seconds).
 */
class AttachmentController extends Controller
{
    public function __construct(private readonly Registry $metrics)
    {
    }

    public function store(Request $request, Task $task): JsonResponse
    {
        $started = hrtime(true);
        $outcome = 'error';
        $bytes = 0;
        try {
            $file = $this->validFile($request, $outcome);
            $bytes = (int) $file->getSize();
            $attachment = $this->put($request, $task, $file, $outcome);
            $outcome = 'stored';
            Log::info('attachment stored', ['attachment_id' => $attachment->id, 'task_id' => $task->id, 'bytes' => $bytes]);

            return response()->json(['data' => $attachment], 201)
                ->header('Location', route('attachments.show', $attachment, false));
        } finally {
            $labels = ['outcome' => $outcome];
            $this->metrics->increment('app_uploads_total', $labels);
            $this->metrics->increment('app_upload_bytes_total', $labels, $bytes);
            $this->metrics->observe('app_upload_duration_seconds', $labels, (hrtime(true) - $started) / 1e9);
        }
    }

    public function show(Attachment $attachment): StreamedResponse|RedirectResponse
    {
        $disposition = HeaderUtils::makeDisposition(
            HeaderUtils::DISPOSITION_ATTACHMENT,
            $attachment->original_name,
            Str::ascii($attachment->original_name) ?: 'attachment',
        );
        if (config('uploads.download') === 'redirect') {
            $url = $this->disk()->temporaryUrl($attachment->object_key, now()->addSeconds((int) config('uploads.presign_ttl')), [
                'ResponseContentDisposition' => $disposition,
                'ResponseContentType' => $attachment->content_type,
            ]);

            return redirect()->away($url, 302)->header('Cache-Control', 'no-store');
        }
        $stream = $this->disk()->readStream($attachment->object_key);
        if (! is_resource($stream)) {
            throw new HttpException(502, 'object missing from the store');
        }

        return response()->stream(function () use ($stream) {
            fpassthru($stream);
            fclose($stream);
        }, 200, [
            'Content-Type' => $attachment->content_type,
            'Content-Length' => (string) $attachment->size,
            'Content-Disposition' => $disposition,
            'X-Content-Sha256' => $attachment->sha256,
            'X-Content-Type-Options' => 'nosniff',
            'Cache-Control' => 'private, no-store',
        ]);
    }

    public function destroy(Attachment $attachment): Response
    {
        $this->disk()->delete($attachment->object_key);
        $attachment->delete();

        return response()->noContent();
    }

    private function validFile(Request $request, string &$outcome): UploadedFile
    {
        $max = (int) config('uploads.max_bytes');
        $file = $request->file('file');
        // PHP itself refuses a file above upload_max_filesize: that is a size error too
        if ($file instanceof UploadedFile && ($file->getError() === UPLOAD_ERR_INI_SIZE || ($file->isValid() && $file->getSize() > $max))) {
            $outcome = 'too_large';
            throw new HttpException(413, "File larger than {$max} bytes.");
        }
        try {
            $request->validate([
                'file' => ['required', 'file', 'mimetypes:'.implode(',', (array) config('uploads.allowed_types'))],
            ]);
        } catch (ValidationException $e) {
            $outcome = isset($e->errors()['file']) && $file instanceof UploadedFile && $file->isValid() ? 'wrong_type' : 'invalid';
            throw $e;
        }

        return $file;
    }

    private function put(Request $request, Task $task, UploadedFile $file, string &$outcome): Attachment
    {
        // no bucket (AWS_BUCKET empty): this deployment has no object store
        if ((string) config('filesystems.disks.'.config('uploads.disk').'.bucket') === '') {
            $outcome = 'not_configured';
            // a response of its own: the handler hides every 5xx message behind "Server Error"
            throw new HttpResponseException(response()->json(['message' => 'Uploads are not configured on this server.'], 503));
        }
        $key = 'attachments/'.Str::uuid()->toString();
        $sha256 = hash_file('sha256', $file->getRealPath());
        $type = (string) $file->getMimeType();
        $stream = fopen($file->getRealPath(), 'rb');
        try {
            $this->disk()->writeStream($key, $stream, ['ContentType' => $type, 'sha256' => $sha256]);
        } catch (StoreUnavailable $e) {
            $outcome = 'store_unavailable';
            throw $e;
        } finally {
            fclose($stream);
        }
        try {
            $attachment = $task->attachments()->make([
                'object_key' => $key,
                'size' => (int) $file->getSize(),
                'sha256' => $sha256,
                'content_type' => $type,
                'original_name' => Str::limit($file->getClientOriginalName(), 250, ''),
            ]);
            $attachment->user_id = $request->user()->getKey(); // never mass-assigned
            $attachment->save();

            return $attachment;
        } catch (Throwable $e) {
            rescue(fn () => $this->disk()->delete($key), report: false); // no orphan object
            throw $e;
        }
    }

    private function disk(): Filesystem
    {
        return Storage::disk((string) config('uploads.disk'));
    }
}
