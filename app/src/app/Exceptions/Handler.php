<?php

namespace App\Exceptions;

use App\Filesystem\StoreUnavailable;
use Illuminate\Database\Eloquent\ModelNotFoundException;
use Illuminate\Foundation\Exceptions\Handler as ExceptionHandler;
use Illuminate\Http\Request;
use Symfony\Component\HttpKernel\Exception\NotFoundHttpException;
use Throwable;

/**
 * Every error is JSON, whatever the client's Accept header: 404 for unknown routes and ids,
 * 405 for wrong methods, 422 with field errors, 400 for malformed JSON, 413 for big bodies,
 * 429 when throttled, 503 when the object store is down; a 500 carries the request id, never a stack trace.
 */
class Handler extends ExceptionHandler
{
    /** @var array<int, string> */
    protected $dontFlash = ['current_password', 'password', 'password_confirmation'];

    public function register(): void
    {
        // the object store is down or failing: the client may retry, nothing was stored
        $this->renderable(fn (StoreUnavailable $e) => response()->json(
            ['message' => 'Object store unavailable, try again later.'], 503, ['Retry-After' => '5'],
        ));
        $this->renderable(function (NotFoundHttpException $e, Request $request) {
            $previous = $e->getPrevious();
            if ($previous instanceof ModelNotFoundException) {
                $model = class_basename($previous->getModel());
                $ids = implode(', ', $previous->getIds());

                return response()->json(['message' => "{$model} {$ids} not found."], 404);
            }

            return null;
        });
    }

    protected function shouldReturnJson($request, Throwable $e): bool
    {
        return true;
    }

    protected function context(): array
    {
        // the request id is on every line already (JsonLineFormatter); keep the user id
        return array_filter(['user_id' => rescue(fn () => auth()->id(), null, false)]);
    }

    protected function prepareJsonResponse($request, Throwable $e)
    {
        $response = parent::prepareJsonResponse($request, $e);
        $data = $response->getData(true);
        if ($response->getStatusCode() >= 500) {
            $data = ['message' => 'Server Error', 'request_id' => $request->attributes->get('request_id')];
        } elseif (($data['message'] ?? '') === '') {
            $data['message'] = \Symfony\Component\HttpFoundation\Response::$statusTexts[$response->getStatusCode()] ?? 'Error';
        }
        $response->setData($data);

        return $response;
    }
}
