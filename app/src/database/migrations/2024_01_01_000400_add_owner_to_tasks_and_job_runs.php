<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

/**
 * Tasks and job runs belong to the user who created them. `user_id` is nullable on purpose (the
 * expand step of expand/contract): rows written before this migration stay valid without an
 * owner every environment would have to share, and pods of the previous release, still serving
 * during the rolling update, can keep inserting. Ownerless rows are visible to nobody through the
 * API (every query is scoped to the caller); a later migration can make the column NOT NULL once
 * no release writes without an owner and old rows are assigned or deleted.
 */
return new class extends Migration
{
    public function up(): void
    {
        foreach (['tasks', 'job_runs'] as $name) {
            Schema::table($name, function (Blueprint $table) {
                // the index serves `WHERE user_id = ? ORDER BY id` (InnoDB appends the primary key)
                $table->foreignId('user_id')->nullable()->after('id')->index()
                    ->constrained('users')->cascadeOnDelete();
            });
        }
    }

    public function down(): void
    {
        foreach (['tasks', 'job_runs'] as $name) {
            Schema::table($name, function (Blueprint $table) {
                $table->dropConstrainedForeignId('user_id');
            });
        }
    }
};
