<?php

use App\Http\Controllers\HealthController;
use App\Http\Controllers\MetricsController;
use App\Http\Middleware\RefuseForwardedScrape;
use Illuminate\Support\Facades\Route;

// Probes and the scrape: no session, no cookies. /health touches nothing outside the process.
Route::get('/health', [HealthController::class, 'live'])->name('health');
Route::get('/ready', [HealthController::class, 'ready'])->name('ready');
// Prometheus scrapes the pod directly; through the Ingress /metrics is a 404
Route::get('/metrics', MetricsController::class)->middleware(RefuseForwardedScrape::class)->name('metrics');
