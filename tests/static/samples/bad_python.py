import os
import sys


def f():
    return undefined_name
