"""Pod Security admission: the namespaces we ship enforce the restricted standard, so the API
server itself refuses a pod that would run as root or keep its privileges there, and every pod
the showcase runs in them was admitted under it (the admission checks each pod it creates)."""

from __future__ import annotations

import pytest
from kubernetes import client

from fixtures import prometheus as monitoring
from fixtures import victorialogs as telemetry_stores
from fixtures.k8s_app import NAMESPACE as APP_NAMESPACE
from fixtures.k8s_app import WEB

pytestmark = [pytest.mark.k8s]

ENFORCE = "pod-security.kubernetes.io/enforce"


def _root_pod(image: str) -> client.V1Pod:
    """A pod that runs as root with its privileges: what restricted must refuse."""
    return client.V1Pod(
        metadata=client.V1ObjectMeta(generate_name="root-probe-"),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name="root",
                    image=image,
                    image_pull_policy="IfNotPresent",
                    command=["sleep", "60"],
                    security_context=client.V1SecurityContext(run_as_user=0, allow_privilege_escalation=True),
                )
            ]
        ),
    )


def _namespaces(request) -> dict[str, str]:
    """The shipped namespaces, deployed by their fixtures: name -> an image their pods run."""
    app = request.getfixturevalue("ready_app")
    request.getfixturevalue("prometheus")
    request.getfixturevalue("telemetry")
    web_image = app.container(WEB, "app").image
    return {APP_NAMESPACE: web_image, monitoring.NAMESPACE: web_image, telemetry_stores.NAMESPACE: web_image}


@pytest.mark.criterion("pod-security")
@pytest.mark.criterion("non-root")
def test_the_shipped_namespaces_enforce_restricted_and_the_api_server_refuses_a_root_pod_there(
    request, cluster
):
    for namespace, image in _namespaces(request).items():
        labels = cluster.core.read_namespace(namespace).metadata.labels or {}
        assert labels.get(ENFORCE) == "restricted", f"namespace {namespace}: {ENFORCE}={labels.get(ENFORCE)}"
        with pytest.raises(client.ApiException) as refused:
            cluster.core.create_namespaced_pod(namespace, _root_pod(image), dry_run="All")
        assert refused.value.status == 403, (namespace, refused.value.status, refused.value.body[:300])
        assert 'violates PodSecurity "restricted' in refused.value.body, refused.value.body[:500]
        # what the admission read: the root user and the missing restrictions, named
        for missing in ("runAsNonRoot", "allowPrivilegeEscalation", "seccompProfile", "capabilities"):
            assert missing in refused.value.body, (namespace, missing, refused.value.body[:800])


@pytest.mark.criterion("pod-security")
def test_every_pod_running_in_the_shipped_namespaces_passed_restricted_admission(request, cluster):
    namespaces = _namespaces(request)
    for namespace in namespaces:
        pods = cluster.core.list_namespaced_pod(namespace).items
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
