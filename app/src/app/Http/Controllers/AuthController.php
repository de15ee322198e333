<?php

namespace App\Http\Controllers;

use App\Models\User;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\Facades\RateLimiter;
use Illuminate\Support\Str;
use Illuminate\Validation\Rules\Password;

/**
 * Session authentication for the JSON API. The session lives in Redis (SESSION_DRIVER=redis), so a
 * login on one replica is valid on every replica, and logout deletes the session for all of them.
 */
class AuthController extends Controller
{
    public function register(Request $request): JsonResponse
    {
        $data = $request->validate([
            'name' => ['required', 'string', 'max:100'],
            'email' => ['required', 'string', 'email', 'max:190', 'unique:users,email'],
            // bcrypt refuses a NUL byte (PHP's ValueError, a 500): a field error instead
            'password' => ['required', 'string', Password::min(8), 'not_regex:/\x00/'],
        ]);
        $user = User::query()->create($data);
        Auth::login($user);
        $request->session()->regenerate();

        return response()->json(['data' => $this->present($user), 'meta' => $this->meta($request)], 201);
    }

    public function login(Request $request): JsonResponse
    {
        $data = $request->validate([
            'email' => ['required', 'string', 'email'],
            // a NUL byte would end the password for bcrypt: "secret\0anything" would match "secret"
            'password' => ['required', 'string', 'not_regex:/\x00/'],
        ]);

        $key = 'login:'.Str::lower($data['email']).'|'.$request->ip();
        $max = (int) config('auth.login_max_attempts');
        if (RateLimiter::tooManyAttempts($key, $max)) {
            $wait = RateLimiter::availableIn($key);

            return response()->json(['message' => "Too many login attempts. Retry in {$wait} seconds."], 429)
                ->header('Retry-After', (string) $wait);
        }

        if (! Auth::attempt(['email' => $data['email'], 'password' => $data['password']])) {
            RateLimiter::hit($key, (int) config('auth.login_decay_seconds'));

            return response()->json(['message' => 'These credentials do not match our records.'], 401);
        }

        RateLimiter::clear($key);
        // a new session id on privilege change: a fixated pre-login id is worthless
        $request->session()->regenerate();

        return response()->json(['data' => $this->present($request->user()), 'meta' => $this->meta($request)]);
    }

    public function me(Request $request): JsonResponse
    {
        return response()->json(['data' => $this->present($request->user()), 'meta' => $this->meta($request)]);
    }

    public function logout(Request $request): JsonResponse
    {
        Auth::guard('web')->logout();
        // destroys the Redis session: the old cookie is invalid on every replica
        $request->session()->invalidate();
        $request->session()->regenerateToken();

        return response()->json(['message' => 'Logged out.']);
    }

    /**
     * The session's CSRF token, for clients that send `X-CSRF-TOKEN` instead of echoing the
     * `XSRF-TOKEN` cookie. Only a same-origin caller can read this body (no CORS is granted).
     *
     * @return array<string, string>
     */
    private function meta(Request $request): array
    {
        return ['csrf_token' => $request->session()->token()];
    }

    /** @return array<string, mixed> */
    private function present(User $user): array
    {
        return ['id' => $user->id, 'name' => $user->name, 'email' => $user->email];
    }
}
