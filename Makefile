# Thin entry points: every target calls a script or a pytest marker expression.
# README: `make verify` (bring up the stack on kind, run the acceptance suite) and `make test`.
SHELL := /bin/bash
PYTEST := .venv/bin/pytest
VARIANT ?= both
PYTEST_ARGS ?=

.PHONY: setup test test-static test-app test-container test-k8s verify cluster cluster-delete build bench bench-cluster bench-tuning deploy clean criteria-index scan demo-rollout dashboards

setup:
	scripts/setup.sh

test: setup
	scripts/run-tests.sh "static or app or container" $(PYTEST_ARGS)

test-static:
	LKS_SKIP_DOCKER=1 scripts/setup.sh
	scripts/run-tests.sh "static" $(PYTEST_ARGS)

# The independent scanners (docs/SECURITY.md): checkov, kube-score, trivy config, detect-secrets.
# `make test` runs them too, but skips trivy while it is not built (a cold compile is too slow for
# a cold .ci/run); here it is built first and a missing scanner fails.
scan:
	LKS_SKIP_DOCKER=1 scripts/setup.sh
	scripts/cluster/build-tools.sh kube-score >/dev/null
	scripts/cluster/build-tools.sh trivy >/dev/null
	LKS_REQUIRE_SCANNERS=1 scripts/run-tests.sh "static" tests/static/test_security_scanners.py $(PYTEST_ARGS)

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

# Demo 3 in the cluster (benchmarks/cluster.py): the same load through the Ingress, kubectl top;
# into the results folder BENCH_OUT of a bench run (needs make cluster and make build)
BENCH_OUT ?= benchmarks/results/reference
BENCH_CLUSTER_ARGS ?=
bench-cluster: setup
	.venv/bin/python -m benchmarks.cluster --out $(BENCH_OUT) $(BENCH_CLUSTER_ARGS)

# FPM's tuning steps against the shipped image (benchmarks/tuning.py), into BENCH_OUT likewise
bench-tuning: setup
	.venv/bin/python -m benchmarks.tuning --out $(BENCH_OUT)

VERSION ?= $(shell cat app/VERSION)
deploy:
	scripts/deploy.sh $(VERSION) --variant $(if $(filter both,$(VARIANT)),fpm,$(VARIANT))

# Demo 2 (DEMO.md): a new version deployed under a curl probe loop, its timeline in artifacts/demo/;
# VERSION defaults to 2.0.0 here, BROKEN=1 deploys a broken release that deploy.sh rolls back.
# Needs the cluster of make cluster (or make verify); deploys the app first when it is not.
demo-rollout: setup
	VARIANT=$(if $(filter both,$(VARIANT)),fpm,$(VARIANT)) scripts/demo/rollout.sh \
	  $(if $(filter command line environment,$(origin VERSION)),$(VERSION),2.0.0) $(if $(BROKEN),--broken)

# the dashboards as PNGs from the cluster's live Prometheus (monitoring/grafana/render.py), into
# artifacts/dashboards/; needs the Prometheus of make verify (k8s/monitoring)
dashboards: setup
	scripts/demo/dashboards.sh
