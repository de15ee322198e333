# Thin entry points: every target calls a script or a pytest marker expression.
# README: `make verify` (bring up the stack on kind, run the acceptance suite) and `make test`.
SHELL := /bin/bash
PYTEST := .venv/bin/pytest
VARIANT ?= both
PYTEST_ARGS ?=

.PHONY: setup test test-static test-app test-container test-k8s verify cluster cluster-delete build bench deploy clean criteria-index

setup:
	scripts/setup.sh

test: setup
	scripts/run-tests.sh "static or app or container" $(PYTEST_ARGS)

test-static:
	LKS_SKIP_DOCKER=1 scripts/setup.sh
	scripts/run-tests.sh "static" $(PYTEST_ARGS)

test-app: setup
	scripts/run-tests.sh "app" $(PYTEST_ARGS)

test-container: setup
	scripts/run-tests.sh "container" --variant $(VARIANT) $(PYTEST_ARGS)

test-k8s: setup
	scripts/run-tests.sh "k8s" --variant $(VARIANT) --keep-cluster $(PYTEST_ARGS)

verify: setup
	scripts/verify.sh $(PYTEST_ARGS)

criteria-index:
	$(PYTEST) --criteria-index $(PYTEST_ARGS)

clean:
	scripts/clean.sh

cluster: setup
	scripts/cluster/up.sh

cluster-delete:
	scripts/cluster/down.sh

PROFILE ?= auto
IMAGES_fpm := fpm nginx worker php-test redis mariadb seaweedfs
IMAGES_swoole := swoole
IMAGES_both := $(IMAGES_fpm) $(IMAGES_swoole)
build:
	scripts/build-images.sh --profile $(PROFILE) $(IMAGES_$(VARIANT))

# the full FPM vs Swoole benchmark (benchmarks/bench.py); BENCH_ARGS=--quick is CI's smoke run
BENCH_ARGS ?=
bench: setup
	.venv/bin/python -m benchmarks.bench $(BENCH_ARGS)

VERSION ?= $(shell cat app/VERSION)
deploy:
	scripts/deploy.sh $(VERSION) --variant $(if $(filter both,$(VARIANT)),fpm,$(VARIANT))
