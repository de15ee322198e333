# One Go program of the stack (scripts/build-go-image.sh victoria-logs|vlagent|jaeger), compiled
# from the Go module proxy (scripts/cluster/build-tools.sh, cached per version), on the Debian base.
# The binary is the entrypoint; its flags come from the manifests (k8s/telemetry). Non-root by
# default (uid 10001, home /data); the log collector is the one exception and says why.
# The only difference between the two sources of packages (scripts/build-images.sh passes it):
#   online  (default) Debian's trixie-slim image, pinned to an exact dated tag
#   offline lks/debian-base:trixie-r1, debootstrap + docker import (scripts/base-image.sh)
# checkov:skip=CKV_DOCKER_7: FROM names a build arg with an exact-tag default, which checkov does not resolve
# (the default debian:trixie-20251117-slim, kept pinned by tests/static/test_image_recipes.py; later FROMs are stages)
# checkov:skip=CKV_DOCKER_2: one recipe for three programs with different health endpoints, run by probes
# (Kubernetes ignores a HEALTHCHECK: the probes of k8s/telemetry; the container tier waits on its port)
ARG BASE_IMAGE=debian:trixie-20251117-slim
FROM ${BASE_IMAGE}
ARG PROGRAM
ARG VERSION=unknown
ARG TITLE=""
ARG LICENSE=Apache-2.0
LABEL org.opencontainers.image.title="laravel-k8s-showcase ${PROGRAM}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="${LICENSE}" \
      org.opencontainers.image.description="${TITLE} ${VERSION}"
COPY ${PROGRAM} /usr/local/bin/${PROGRAM}
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin app \
 && install -d -o 10001 -g 10001 /data \
 && ln -s "/usr/local/bin/${PROGRAM}" /usr/local/bin/program
USER 10001:10001
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/program"]
