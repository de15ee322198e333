# Offline Prometheus: Debian trixie's prometheus package (2.53) on the locally imported Debian
# base, for the monitoring stack of the kind cluster (k8s/monitoring). Online, the same
# manifests run the official prom/prometheus:v2.53.x image; both read the same configuration,
# rules and alerts (monitoring/). Build: scripts/build-prometheus-image.sh.
# The configuration is mounted at run time (/etc/prometheus/config.yml from a ConfigMap); the
# image's default command runs Debian's sample configuration so the image is healthy alone.
# The only difference between the two sources of packages (scripts/build-images.sh passes it):
#   online  (default) Debian's trixie-slim image, pinned to an exact dated tag
#   offline lks/debian-base:trixie-r1, debootstrap + docker import (scripts/base-image.sh)
# checkov:skip=CKV_DOCKER_7: FROM names a build arg with an exact-tag default, which checkov does not resolve
# (the default debian:trixie-20251117-slim, kept pinned by tests/static/test_image_recipes.py; later FROMs are stages)
ARG BASE_IMAGE=debian:trixie-20251117-slim
FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
ARG PROMETHEUS_VERSION=2.53
LABEL org.opencontainers.image.title="laravel-k8s-showcase prometheus" \
      org.opencontainers.image.version="${PROMETHEUS_VERSION}" \
      org.opencontainers.image.description="Prometheus ${PROMETHEUS_VERSION} from Debian trixie"
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# the package's postinst would start a service: there is no init in a container
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d \
 && apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends prometheus \
 && prometheus --version 2>&1 | grep -q "version ${PROMETHEUS_VERSION}\." \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log /usr/sbin/policy-rc.d \
 && mkdir -p /prometheus /etc/prometheus/rules \
 && chown 65534:65534 /prometheus
# nobody:nogroup, numeric so that Kubernetes can verify runAsNonRoot
USER 65534:65534
WORKDIR /prometheus
VOLUME ["/prometheus"]
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
  CMD ["promtool", "check", "healthy", "--url=http://127.0.0.1:9090"]
ENTRYPOINT ["prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.listen-address=:9090"]
