<?php

namespace App\Providers;

use App\Metrics\RequestContext;
use Illuminate\Database\Eloquent\Model;
use Illuminate\Http\Resources\Json\JsonResource;
use Illuminate\Support\ServiceProvider;

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
    }
}
