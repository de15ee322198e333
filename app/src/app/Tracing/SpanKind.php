<?php

namespace App\Tracing;

/** OTLP's SpanKind, with its numbers (the JSON encoding writes enums as integers). */
enum SpanKind: int
{
    case Internal = 1;
    case Server = 2;
    case Client = 3;
    case Producer = 4;
    case Consumer = 5;
}
