<?php

use App\Http\Controllers\AttachmentController;
use App\Http\Controllers\AuthController;
use App\Http\Controllers\JobController;
use App\Http\Controllers\OpenApiController;
use App\Http\Controllers\PingController;
use App\Http\Controllers\SlowController;
use App\Http\Controllers\StressController;
use App\Http\Controllers\TaskController;
use Illuminate\Support\Facades\Route;

// Controllers only (no closures), so `php artisan route:cache` works.
// Who may do what: docs/APP.md, "Access matrix".

// stateless: no session, no cookie, no Redis round-trip
Route::get('/ping', PingController::class)->name('ping');
// the OpenAPI 3 document of these routes (resources/openapi/openapi.json, docs/APP.md "API document")
Route::get('/openapi.json', OpenApiController::class)->name('openapi');

Route::get('/stress', StressController::class)->name('stress');
Route::get('/stress-test', StressController::class)->name('stress-test'); // the POC's demo URL

Route::get('/slow', SlowController::class)->name('slow'); // sleeps: the graceful-shutdown tests' in-flight request

Route::middleware('session')->group(function () {
    Route::prefix('auth')->group(function () {
        Route::post('/register', [AuthController::class, 'register'])->middleware('throttle:register')->name('auth.register');
        Route::post('/login', [AuthController::class, 'login'])->name('auth.login');
        Route::middleware(['session.cookie', 'auth'])->group(function () {
            Route::get('/me', [AuthController::class, 'me'])->name('auth.me');
            Route::post('/logout', [AuthController::class, 'logout'])->name('auth.logout');
        });
    });

    // a guest gets 401 (without a cookie: before a session is even created); {task} and {jobRun}
    // resolve among the caller's own rows only (RouteServiceProvider), so another user's id is a
    // 404 like an id that does not exist
    Route::middleware(['session.cookie', 'auth'])->group(function () {
        Route::apiResource('tasks', TaskController::class);

        Route::post('/jobs', [JobController::class, 'store'])->middleware('can:create,App\Models\JobRun')->name('jobs.store');
        Route::get('/jobs/{jobRun}', [JobController::class, 'show'])->middleware('can:view,jobRun')->name('jobs.show');

        // attachments (docs/UPLOADS.md): uploading changes the task; {attachment} is bound among
        // the caller's own attachments like {task}
        Route::post('/tasks/{task}/attachments', [AttachmentController::class, 'store'])->middleware('can:update,task')->name('attachments.store');
        Route::get('/attachments/{attachment}', [AttachmentController::class, 'show'])->middleware('can:view,attachment')->name('attachments.show');
        Route::delete('/attachments/{attachment}', [AttachmentController::class, 'destroy'])->middleware('can:delete,attachment')->name('attachments.destroy');
    });
});
