#!/usr/bin/env bash
# Pinned versions of everything the offline cluster is built from. Source it.
# Each can be overridden from the environment; caches are keyed by these values.
#   K8S_VERSION       Kubernetes (1.35 refuses cgroup v1, so stay on 1.34)
#   KIND_VERSION      kind CLI, and the source of the node image's entrypoint/units/manifests
#   ETCD_VERSION      etcd server (kubeadm 1.34 expects 3.6.5-0)
#   COREDNS_VERSION   CoreDNS (kubeadm 1.34 expects v1.12.1)
#   PAUSE_VERSION     pause image tag (kubeadm and containerd's sandbox_image)
#   KUBE_ROUTER_VERSION  kube-router, the CNI daemon of the offline node image (kindnetd and
#                     flannel's dependencies are not available on the Go module proxy)
#   CRICTL_VERSION    crictl in the node (kind export logs calls it)
#   METRICS_SERVER_VERSION, TRAEFIK_VERSION   add-ons
#   CONTAINERD_VERSION  the Debian containerd package the node image must carry
#   SEAWEEDFS_VERSION the S3-compatible object store of the uploads (the only version the Go
#                     module proxy serves: a pseudo-version)
#   VEGETA_VERSION    the benchmark's load generator (benchmarks/bench.py: open and closed loop,
#                     every request's result as CSV)
#   VICTORIALOGS_VERSION  the log store (victoria-logs) and its Kubernetes collector (vlagent): one
#                     module, one release
#   JAEGER_VERSION    the trace store (Jaeger all-in-one, OTLP/HTTP in, in-memory storage)
#   KUBE_SCORE_VERSION  kube-score, the static tier's scanner of the rendered manifests
#   TRIVY_VERSION     trivy (`trivy config`: misconfiguration checks of manifests, Terraform,
#                     Dockerfiles, embedded, run offline); `make scan` and the security workflow
set -o errexit -o nounset -o pipefail  # same options as every caller
K8S_VERSION="${K8S_VERSION:-v1.34.4}"
KIND_VERSION="${KIND_VERSION:-v0.30.0}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.5}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.12.1}"
PAUSE_VERSION="${PAUSE_VERSION:-3.10.1}"
KUBE_ROUTER_VERSION="${KUBE_ROUTER_VERSION:-v2.1.0}"
CRICTL_VERSION="${CRICTL_VERSION:-v1.34.0}"
METRICS_SERVER_VERSION="${METRICS_SERVER_VERSION:-v0.8.0}"
TRAEFIK_VERSION="${TRAEFIK_VERSION:-v3.6.12}"
CONTAINERD_VERSION="${CONTAINERD_VERSION:-1.7.24}"
SEAWEEDFS_VERSION="${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
VEGETA_VERSION="${VEGETA_VERSION:-v12.13.0}"
VICTORIALOGS_VERSION="${VICTORIALOGS_VERSION:-v1.52.1}"
JAEGER_VERSION="${JAEGER_VERSION:-v1.76.0}"
KUBE_SCORE_VERSION="${KUBE_SCORE_VERSION:-v1.20.0}"
TRIVY_VERSION="${TRIVY_VERSION:-v0.74.0}"
export K8S_VERSION KIND_VERSION ETCD_VERSION COREDNS_VERSION PAUSE_VERSION KUBE_ROUTER_VERSION \
  METRICS_SERVER_VERSION TRAEFIK_VERSION CONTAINERD_VERSION CRICTL_VERSION SEAWEEDFS_VERSION \
  VEGETA_VERSION VICTORIALOGS_VERSION JAEGER_VERSION KUBE_SCORE_VERSION TRIVY_VERSION
