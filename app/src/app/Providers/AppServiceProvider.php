<?php

namespace App\Providers;

use App\Filesystem\S3Adapter;
use App\Metrics\RequestContext;
use App\Models\Attachment;
use App\Models\JobRun;
use App\Models\Task;
use App\Policies\AttachmentPolicy;
use App\Policies\JobRunPolicy;
use App\Policies\TaskPolicy;
use Illuminate\Database\Eloquent\Model;
use Illuminate\Filesystem\FilesystemAdapter;
use Illuminate\Http\Resources\Json\JsonResource;
use Illuminate\Queue\Events\JobExceptionOccurred;
use Illuminate\Queue\Events\JobFailed;
use Illuminate\Queue\Events\JobProcessed;
use Illuminate\Queue\Events\JobProcessing;
use Illuminate\Support\Facades\Event;
use Illuminate\Support\Facades\Gate;
use Illuminate\Support\Facades\Log;
use Illuminate\Support\Facades\Storage;
use Illuminate\Support\ServiceProvider;
use League\Flysystem\Filesystem;
use Symfony\Component\HttpClient\HttpClient;

class AppServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        // per request: fresh under FPM by construction, forgotten after each request under Octane
        $this->app->scoped(RequestContext::class);
    }

    public function boot(): void
    {
        // lazy loading in a loop is an N+1 query: fail in tests instead of slowing production
        Model::preventLazyLoading(! $this->app->isProduction());
        JsonResource::withoutWrapping();

        // who may do what (docs/APP.md, "Access matrix")
        Gate::policy(Task::class, TaskPolicy::class);
        Gate::policy(JobRun::class, JobRunPolicy::class);
        Gate::policy(Attachment::class, AttachmentPolicy::class);

        // the uploads' object store without the AWS SDK (config/filesystems.php, docs/UPLOADS.md)
        Storage::extend('s3-sigv4', fn ($app, array $config) => new FilesystemAdapter(
            new Filesystem($adapter = S3Adapter::fromConfig(HttpClient::create(), $config), $config),
            $adapter,
            $config,
        ));

        // the queue worker runs `queue:work --quiet`: its job lifecycle is logged here, as JSON
        // lines like every other log, instead of the console's human-readable table
        $job = fn ($e): array => [
            'job' => $e->job->resolveName(), 'job_id' => $e->job->uuid() ?? $e->job->getJobId(),
            'queue' => $e->job->getQueue(), 'attempt' => $e->job->attempts(),
        ];
        Event::listen(JobProcessing::class, fn (JobProcessing $e) => Log::info('job processing', $job($e)));
        Event::listen(JobProcessed::class, fn (JobProcessed $e) => Log::info('job processed', $job($e)));
        Event::listen(JobExceptionOccurred::class, fn (JobExceptionOccurred $e) => Log::warning(
            'job attempt failed', $job($e) + ['error' => $e->exception->getMessage()]));
        Event::listen(JobFailed::class, fn (JobFailed $e) => Log::error(
            'job failed', $job($e) + ['error' => $e->exception->getMessage()]));
    }
}
