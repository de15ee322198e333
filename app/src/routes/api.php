<?php

use App\Http\Controllers\AuthController;
use App\Http\Controllers\JobController;
use App\Http\Controllers\PingController;
use App\Http\Controllers\StressController;
use App\Http\Controllers\TaskController;
use Illuminate\Support\Facades\Route;

// Controllers only (no closures), so `php artisan route:cache` works.

Route::get('/ping', PingController::class)->name('ping');

Route::get('/stress', StressController::class)->name('stress');
Route::get('/stress-test', StressController::class)->name('stress-test'); // the POC's demo URL

Route::apiResource('tasks', TaskController::class);

Route::post('/jobs', [JobController::class, 'store'])->name('jobs.store');
Route::get('/jobs/{jobRun}', [JobController::class, 'show'])->name('jobs.show');

Route::middleware('session')->prefix('auth')->group(function () {
    Route::post('/register', [AuthController::class, 'register'])->name('auth.register');
    Route::post('/login', [AuthController::class, 'login'])->name('auth.login');
    Route::middleware('auth')->group(function () {
        Route::get('/me', [AuthController::class, 'me'])->name('auth.me');
        Route::post('/logout', [AuthController::class, 'logout'])->name('auth.logout');
    });
});
