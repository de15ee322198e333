<?php

use App\Http\Controllers\HealthController;
use App\Http\Controllers\MetricsController;
use Illuminate\Support\Facades\Route;

// Probes and the scrape: no session, no cookies. /health touches nothing outside the process.
Route::get('/health', [HealthController::class, 'live'])->name('health');
Route::get('/ready', [HealthController::class, 'ready'])->name('ready');
Route::get('/metrics', MetricsController::class)->name('metrics');
