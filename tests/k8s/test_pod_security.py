"""Pod Security admission: the namespaces we ship enforce the restricted standard, so the API
server itself refuses a pod that would run as root or keep its privileges there, and every pod
the showcase runs in them was admitted under it (the admission checks each pod it creates)."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from fixtures import prometheus as monitoring
from fixtures import victorialogs as telemetry_stores
from fixtures.k8s_app import NAMESPACE as APP_NAMESPACE
from suite.project import image

pytestmark = [pytest.mark.k8s]

ENFORCE = "pod-security.kubernetes.io/enforce"


def _root_pod(ref: str) -> client.V1Pod:
    """A pod that runs as root with its privileges: what restricted must refuse."""
    return client.V1Pod(
        metadata=client.V1ObjectMeta(generate_name="root-probe-"),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name="root",
                    image=ref,
                    image_pull_policy="IfNotPresent",
                    command=["sleep", "60"],
                    security_context=client.V1SecurityContext(run_as_user=0, allow_privilege_escalation=True),
                )
            ]
        ),
    )


# the namespaces we ship (the app's, Prometheus', the log and trace stores'); each deployed by its
# fixture before the test reads it
SHIPPED = (APP_NAMESPACE, monitoring.NAMESPACE, telemetry_stores.NAMESPACE)
# a dry run is admitted (or refused) before any image is pulled: the image needs not exist
ANY_IMAGE = image("fpm")


@pytest.mark.criterion("pod-security")
@pytest.mark.criterion("non-root")
def test_the_shipped_namespaces_enforce_restricted_and_the_api_server_refuses_a_root_pod_there(
    cluster, prometheus, telemetry
):
    for namespace in SHIPPED:
        labels = cluster.core.read_namespace(namespace).metadata.labels or {}
        assert labels.get(ENFORCE) == "restricted", f"namespace {namespace}: {ENFORCE}={labels.get(ENFORCE)}"
        with pytest.raises(client.ApiException) as refused:
            cluster.core.create_namespaced_pod(namespace, _root_pod(ANY_IMAGE), dry_run="All")
        assert refused.value.status == 403, (namespace, refused.value.status, refused.value.body[:300])
        message = json.loads(refused.value.body)["message"]
        assert 'violates PodSecurity "restricted' in message, message
        # what the admission read: the root user and the missing restrictions, named
        for missing in ("runAsNonRoot", "allowPrivilegeEscalation", "seccompProfile", "capabilities"):
            assert missing in message, (namespace, missing, message)


@pytest.mark.criterion("pod-security")
def test_every_pod_running_in_the_shipped_namespaces_has_a_read_only_root_no_capability_and_runtime_default_seccomp(
    ready_app, prometheus, telemetry, cluster
):
    # per runtime: the app's pods are those of the deployed variant (Swoole's included where it runs)
    for namespace in SHIPPED:
        # pods the k8s tier's own checks start and remove (probes, a crash-looping sample) are not shipped
        pods = [
            p
            for p in cluster.core.list_namespaced_pod(namespace).items
            if (p.metadata.labels or {}).get("app.kubernetes.io/part-of") == "laravel-k8s-showcase"
            and (p.metadata.labels or {}).get("app.kubernetes.io/component") != "test"
            and p.metadata.deletion_timestamp is None
            and p.status.phase in ("Pending", "Running")
        ]
        assert pods, f"no pods in {namespace}"
        for pod in pods:
            for c in (pod.spec.init_containers or []) + pod.spec.containers:
                sc = c.security_context
                where = f"{namespace}/{pod.metadata.name}/{c.name}"
                assert sc is not None, f"{where}: no securityContext"
                assert sc.read_only_root_filesystem is True, f"{where}: root filesystem writable"
                assert sc.allow_privilege_escalation is False, where
                assert "ALL" in (sc.capabilities.drop or []), f"{where}: capabilities not dropped"
            profile = pod.spec.security_context.seccomp_profile if pod.spec.security_context else None
            assert profile is not None, f"{namespace}/{pod.metadata.name}: no pod seccomp profile"
            assert profile.type == "RuntimeDefault", f"{namespace}/{pod.metadata.name}: {profile.type}"
