<?php
// broken: uses a Symfony component and Guzzle that composer.json does not require

namespace App\Http\Controllers;

use GuzzleHttp\Client;
use Symfony\Component\HttpFoundation\Response;

final class Controller
{
    public function __invoke(Client $client): Response
    {
        return new Response('');
    }
}
