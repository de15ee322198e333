"""The app runs on the kind cluster: every pod Ready, /health 200 over HTTPS through the Ingress,
which serves its own certificate (its TLS secret's, not Traefik's default one)."""

from __future__ import annotations

import socket
import ssl
import uuid

import pytest

from fixtures.cluster import TRAEFIK_DEFAULT_CERT, describe_certificate, pod_ready
from fixtures.k8s_app import NAMESPACE, WEB

pytestmark = [pytest.mark.k8s, pytest.mark.slow]


@pytest.mark.criterion("k8s-app-running")
def test_every_pod_is_ready_and_health_answers_200_through_the_ingress(ready_app):
    pods = ready_app.core.list_namespaced_pod(NAMESPACE).items
    # completed Job pods are done, not down; pods being deleted (an earlier rollout's old
    # replicas, draining) are on their way out on purpose
    running = [p for p in pods if p.status.phase != "Succeeded" and not p.metadata.deletion_timestamp]
    not_ready = [p.metadata.name for p in running if not pod_ready(p)]
    components = {(p.metadata.labels or {}).get("app.kubernetes.io/component") for p in running}
    assert not not_ready, f"pods not Ready: {not_ready}"
    assert {"web", "worker", "redis", "mariadb"} <= components, f"components running: {components}"
    assert len(ready_app.pods("web")) >= 2

    with ready_app.http() as http:
        health = http.get(ready_app.url("/health"), timeout=10)
        ready = http.get(ready_app.url("/ready"), timeout=10)
    assert health.status_code == 200, health.text
    assert health.headers["content-type"].startswith("application/json")
    assert ready.status_code == 200, ready.text


@pytest.mark.criterion("ingress-tls")
def test_the_ingress_serves_its_own_certificate_from_its_tls_secret_not_traefiks_default(ready_app):
    cluster = ready_app.cluster
    ingress = ready_app.read("ingress", WEB)
    tls = ingress.spec.tls
    assert tls, ingress.spec
    host = ingress.spec.rules[0].host
    assert host in tls[0].hosts, (host, tls)
    ingress_cert = describe_certificate(cluster.tls_secret_certificate(NAMESPACE, tls[0].secret_name))
    default_cert = describe_certificate(cluster.tls_secret_certificate(*TRAEFIK_DEFAULT_CERT))
    assert ingress_cert["sha256"] != default_cert["sha256"], (
        f"the Ingress secret {tls[0].secret_name} holds Traefik's default certificate: "
        "what is served cannot tell the Ingress from the controller's fallback"
    )
    assert ingress_cert["serial"] != default_cert["serial"], (ingress_cert, default_cert)

    # SNI with the Ingress host; the chain verifies against the suite's CA only
    served = cluster.https_get(host, "/health")
    assert served.status == 200, served.body[:200]
    assert describe_certificate(served.certificate) == ingress_cert, (
        f"{host} was served {describe_certificate(served.certificate)}, the Ingress secret holds {ingress_cert} "
        f"(Traefik's default is {default_cert})"
    )
    # the negative: a host that no Ingress claims gets Traefik's default certificate, so the
    # check above tells the two apart (chain verified; OpenSSL never matches *.localhost to a
    # host one label under it, see Cluster.https_get)
    unclaimed = cluster.https_get(
        f"no-ingress-{uuid.uuid4().hex[:8]}.localhost", "/health", check_hostname=False
    )
    assert unclaimed.status == 404, unclaimed.body[:200]
    assert describe_certificate(unclaimed.certificate) == default_cert, (
        describe_certificate(unclaimed.certificate),
        default_cert,
    )
    with (
        pytest.raises(ssl.SSLCertVerificationError),
        socket.create_connection(("127.0.0.1", cluster.https_port), timeout=10) as raw,
    ):
        ssl.create_default_context().wrap_socket(raw, server_hostname=host).close()
