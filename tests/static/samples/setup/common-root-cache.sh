#!/usr/bin/env bash
# Broken on purpose (tests/static/test_setup_paths.py): the cache default before issue #11, the
# same for every user, so a non-root `make setup` (a laptop, a GitHub runner step without sudo)
# cannot create it.
LKS_CACHE="${LKS_CACHE:-/var/cache/laravel-k8s-showcase}"
export LKS_CACHE
