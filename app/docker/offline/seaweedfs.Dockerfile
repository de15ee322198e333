# The uploads' S3-compatible object store: SeaweedFS (Apache-2.0) built from the Go module proxy
# (scripts/cluster/build-tools.sh seaweedfs, cached per version) on the Debian base. One process:
# `weed server` runs master, volume, filer and the S3 gateway. The entrypoint writes the S3
# identity from S3_ACCESS_KEY/S3_SECRET_KEY (a Secret in k8s) and creates S3_BUCKET at start.
# Build: scripts/build-go-image.sh seaweedfs (context: a temporary folder holding the binary).
# The only difference between the two sources of packages (scripts/build-images.sh passes it):
#   online  (default) Debian's trixie-slim image, pinned to an exact dated tag
#   offline lks/debian-base:trixie-r1, debootstrap + docker import (scripts/base-image.sh)
# checkov:skip=CKV_DOCKER_7: FROM names a build arg with an exact-tag default, which checkov does not resolve
# (the default debian:trixie-20251117-slim, kept pinned by tests/static/test_image_recipes.py; later FROMs are stages)
ARG BASE_IMAGE=debian:trixie-20251117-slim
FROM ${BASE_IMAGE}
ARG VERSION=unknown
LABEL org.opencontainers.image.title="laravel-k8s-showcase seaweedfs" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.description="SeaweedFS ${VERSION} (weed server -s3), the S3 store of the uploads"
COPY weed /usr/local/bin/weed
COPY seaweedfs-entrypoint.sh /usr/local/bin/seaweedfs-entrypoint
RUN groupadd --gid 10001 seaweed && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin seaweed \
 && install -d -o 10001 -g 10001 /data \
 && weed version
# Go's soft memory limit: without it weed's heap grows past 500 MiB after 200 MB of 20 MB objects
# (measured RSS 514 MiB; 141 MiB with this limit), above the pod's 384Mi memory limit
ENV GOMEMLIMIT=160MiB
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# 8333 S3, 9324 Prometheus metrics (master 9333, volume 8080, filer 8888 stay inside the pod)
EXPOSE 8333 9324
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=10 CMD ["seaweedfs-entrypoint", "--healthcheck"]
ENTRYPOINT ["seaweedfs-entrypoint"]
