<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

/**
 * Exactly-once job runs (an expand step: both columns are safe for the previous release, which
 * neither reads nor writes them).
 *
 * `idempotency_key`: the client's Idempotency-Key of POST /api/jobs, unique per user, so a retried
 * request (or two racing ones) finds the run of the first instead of dispatching another. Many
 * runs without a key (NULL) are allowed: a unique index ignores NULLs. ASCII with a binary
 * collation: keys are compared exactly (`abc` and `ABC` are two keys), as the header's characters
 * (A-Z a-z 0-9 _ . : -) allow.
 *
 * `completions`: how many times the job's effect (the result write) was applied; the worker
 * increments it in the same conditional UPDATE that writes the result, so a job delivered twice
 * still reads 1.
 */
return new class extends Migration
{
    public function up(): void
    {
        Schema::table('job_runs', function (Blueprint $table) {
            $table->string('idempotency_key', 100)->charset('ascii')->collation('ascii_bin')->nullable()->after('user_id');
            $table->unsignedInteger('completions')->default(0)->after('attempts');
            $table->unique(['user_id', 'idempotency_key']);
        });
    }

    public function down(): void
    {
        Schema::table('job_runs', function (Blueprint $table) {
            // the foreign key on user_id keeps its own index (job_runs_user_id_index)
            $table->dropUnique(['user_id', 'idempotency_key']);
            $table->dropColumn(['idempotency_key', 'completions']);
        });
    }
};
