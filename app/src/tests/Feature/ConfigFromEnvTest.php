<?php

namespace Tests\Feature;

use PHPUnit\Framework\Attributes\Group;
use Tests\TestCase;

/**
 * Configuration comes from the environment only: env() is read in config/*.php and nowhere else,
 * .env.example lists every key those files read, and changing a variable changes behaviour.
 */
#[Group('config-env')]
class ConfigFromEnvTest extends TestCase
{
    /** @return array<string, list<string>> env keys read per file, from the PHP tokens (not a text grep) */
    private static function envCalls(string $dir): array
    {
        $out = [];
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($dir, \FilesystemIterator::SKIP_DOTS));
        foreach ($files as $file) {
            if ($file->getExtension() !== 'php') {
                continue;
            }
            $tokens = \PhpToken::tokenize((string) file_get_contents($file->getPathname()));
            $tokens = array_values(array_filter($tokens, fn ($t) => ! $t->isIgnorable()));
            foreach ($tokens as $i => $t) {
                $prev = $tokens[$i - 1] ?? null;
                $isCall = $t->is(T_STRING) && strtolower($t->text) === 'env'
                    && ($tokens[$i + 1]->text ?? '') === '('
                    && ! ($prev && ($prev->is([T_OBJECT_OPERATOR, T_DOUBLE_COLON, T_FUNCTION, T_NULLSAFE_OBJECT_OPERATOR])));
                if ($isCall) {
                    $arg = $tokens[$i + 2] ?? null;
                    $out[$file->getPathname()][] = $arg && $arg->is(T_CONSTANT_ENCAPSED_STRING) ? trim($arg->text, '\'"') : '?';
                }
            }
        }

        return $out;
    }

    public function test_env_is_read_only_in_config_files(): void
    {
        $this->assertNotEmpty(self::envCalls(config_path()), 'the config files read the environment');
        foreach (['app', 'routes', 'database', 'bootstrap', 'public'] as $dir) {
            $this->assertSame([], self::envCalls(base_path($dir)), "no env() call under {$dir}/");
        }
    }

    public function test_the_env_example_lists_every_key_the_config_reads(): void
    {
        $example = [];
        foreach (file(base_path('.env.example'), FILE_IGNORE_NEW_LINES) as $line) {
            if (preg_match('/^([A-Z0-9_]+)=/', $line, $m)) {
                $example[$m[1]] = true;
            }
        }
        $read = array_unique(array_merge(...array_values(self::envCalls(config_path()))));
        $this->assertNotContains('?', $read, 'every env() key is a literal');
        $missing = array_values(array_diff($read, array_keys($example)));

        $this->assertSame([], $missing, '.env.example is missing keys');
    }

    public function test_changing_an_environment_variable_changes_behaviour(): void
    {
        $this->getJson('/api/stress?ms=300')->assertOk();
        $this->getJson('/api/ping')->assertJsonPath('runtime', 'fpm');

        $this->withEnvironment(['STRESS_MAX_MS' => '100', 'APP_RUNTIME' => 'swoole', 'APP_MAX_BODY_BYTES' => '64'], function () {
            $this->getJson('/api/stress?ms=300')->assertStatus(422);
            $this->getJson('/api/ping')->assertJsonPath('runtime', 'swoole');
            $this->postJson('/api/tasks', ['title' => str_repeat('x', 100)])->assertStatus(413);
        });
    }

    /** Sets variables the way the container runtime does, boots a fresh application, restores them. */
    private function withEnvironment(array $vars, callable $test): void
    {
        $saved = [];
        foreach ($vars as $key => $value) {
            $saved[$key] = [getenv($key), $_ENV[$key] ?? null, $_SERVER[$key] ?? null];
            putenv("{$key}={$value}");
            $_ENV[$key] = $_SERVER[$key] = $value;
        }
        try {
            $this->refreshApplication();
            $test();
        } finally {
            foreach ($saved as $key => [$env, $e, $s]) {
                $env === false ? putenv($key) : putenv("{$key}={$env}");
                if ($e === null) {
                    unset($_ENV[$key]);
                } else {
                    $_ENV[$key] = $e;
                }
                if ($s === null) {
                    unset($_SERVER[$key]);
                } else {
                    $_SERVER[$key] = $s;
                }
            }
            $this->refreshApplication();
        }
    }
}
