<?php

namespace App\Providers;

use App\Models\Attachment;
use App\Models\JobRun;
use App\Models\Task;
use Illuminate\Cache\RateLimiting\Limit;
use Illuminate\Foundation\Support\Providers\RouteServiceProvider as ServiceProvider;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\Facades\RateLimiter;
use Illuminate\Support\Facades\Route;

class RouteServiceProvider extends ServiceProvider
{
    public function boot(): void
    {
        // Route model binding scoped to the caller: {task} and {jobRun} are looked up among the
        // authenticated user's rows only, so another user's id fails exactly like an unknown id
        // (404 "Task N not found."), and the controllers never see someone else's row. Auth
        // resolves through the facade, i.e. the current request's application (Octane too).
        Route::bind('task', fn (string $id) => Task::query()->ownedBy(Auth::user())->findOrFail($id));
        Route::bind('jobRun', fn (string $id) => JobRun::query()->ownedBy(Auth::user())->findOrFail($id));
        Route::bind('attachment', fn (string $id) => Attachment::query()->ownedBy(Auth::user())->findOrFail($id));

        // registrations per client address (behind the trusted proxy: the real client's)
        RateLimiter::for('register', fn (Request $request) => Limit::perMinute((int) config('auth.register_max_attempts'))
            ->by('register|'.$request->ip()));

        $this->routes(function () {
            Route::middleware('probe')->group(base_path('routes/probes.php'));
            Route::middleware('api')->prefix('api')->group(base_path('routes/api.php'));
        });
    }
}
