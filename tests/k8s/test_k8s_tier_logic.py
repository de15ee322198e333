"""The k8s tier's own logic that makes it repeatable, checked without a cluster:

- it changes only the clusters it created, unless told otherwise (fixtures/cluster.py): an
  existing kind cluster is reused with --keep-cluster or by the run (xdist workers) that created
  it; any other existing cluster is refused with one line;
- its waits read the API objects as `kubectl rollout status` and `kubectl wait` do: a rollout is
  done only when the controller saw the latest spec and every replica runs it and is available;
  a pod is Ready only with its Ready condition True; a wait that times out says what it saw;
- the cluster is made by scripts/cluster/up.sh only, and images are loaded with fixed tags;
- the observability tests count the traffic they sent by per-pod counter growth, which stays
  right on a cluster whose pods were replaced (stale series, counters restarted at 0).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client

from fixtures.cluster import Cluster, ownership, pod_ready, rollout_done, wait_until
from fixtures.prometheus import counter_growth

pytestmark = pytest.mark.static

RUN = "run-1"


@pytest.mark.criterion("cd-deploy")
def test_a_missing_cluster_is_created_and_one_this_run_created_is_reused():
    assert ownership("lks", exists=False, creator=None, run_id=RUN, keep=False) == "create"
    assert ownership("lks", exists=False, creator="an-old-run", run_id=RUN, keep=False) == "create"
    assert ownership("lks", exists=True, creator=RUN, run_id=RUN, keep=False) == "reuse"


@pytest.mark.criterion("cd-deploy")
def test_an_existing_cluster_is_reused_only_with_keep_cluster():
    assert ownership("lks", exists=True, creator=None, run_id=RUN, keep=True) == "reuse"
    assert ownership("lks", exists=True, creator="an-old-run", run_id=RUN, keep=True) == "reuse"


@pytest.mark.criterion("cd-deploy")
@pytest.mark.parametrize("creator", [None, "an-old-run"], ids=["made-elsewhere", "earlier-run"])
def test_an_existing_cluster_that_this_run_did_not_create_is_refused_in_one_line(creator):
    with pytest.raises(pytest.fail.Exception) as refused:
        ownership("lks-x", exists=True, creator=creator, run_id=RUN, keep=False)
    message = str(refused.value)
    assert "\n" not in message
    assert "kind cluster 'lks-x' already exists and this run did not create it" in message
    assert "--keep-cluster" in message
    assert "--kubeconfig" in message


@pytest.mark.criterion("metrics-collected")
def test_traffic_is_counted_by_per_pod_growth_on_pods_that_serve_now():
    # the same two pods before and after: the growth of each
    assert counter_growth({"web-a": 100.0, "web-b": 40.0}, {"web-a": 130.0, "web-b": 70.0}) == 60


@pytest.mark.criterion("metrics-collected")
def test_replaced_pods_and_restarted_counters_do_not_hide_the_traffic():
    # an earlier run's pods (still in Prometheus' lookback) hold 500 requests; the new pods started
    # at 0 and got the 60 requests sent: an absolute sum taken before (500 -> 560) never comes
    seen = counter_growth({"web-old-1": 300.0, "web-old-2": 200.0}, {"web-new-1": 25.0, "web-new-2": 35.0})
    assert seen == 60
    # a stale series still returned after the traffic adds nothing
    assert counter_growth({"web-old": 500.0}, {"web-old": 500.0, "web-new": 60.0}) == 60
    # a pod whose counter went down restarted: its value now is what it counted since
    assert counter_growth({"web-a": 90.0}, {"web-a": 12.0}) == 12


@pytest.mark.criterion("metrics-collected")
def test_traffic_that_did_not_reach_prometheus_is_not_counted():
    assert counter_growth({"web-a": 10.0}, {"web-a": 10.0}) == 0
    assert counter_growth({"web-a": 10.0}, {}) == 0


def _deployment(generation=2, observed=2, replicas=3, updated=3, total=3, available=3) -> client.V1Deployment:
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web", generation=generation),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(),
        ),
        status=client.V1DeploymentStatus(
            observed_generation=observed,
            updated_replicas=updated,
            replicas=total,
            available_replicas=available,
        ),
    )


@pytest.mark.criterion("cd-deploy")
def test_a_rollout_is_done_when_every_replica_runs_the_latest_spec_and_is_available():
    assert rollout_done(_deployment())


@pytest.mark.criterion("cd-deploy")
@pytest.mark.parametrize(
    "state",
    [
        {"observed": 1},  # the controller has not seen the new spec yet
        {"updated": 2},  # one replica still runs the old template
        {"total": 4},  # an old replica is still there next to the three new ones
        {"available": 2},  # a new replica is not available yet
    ],
    ids=["spec-not-observed", "old-template", "old-replica-left", "not-available"],
)
def test_a_rollout_in_progress_is_not_done(state):
    assert not rollout_done(_deployment(**state))


def _pod(*conditions: tuple[str, str]) -> client.V1Pod:
    status = client.V1PodStatus(conditions=[client.V1PodCondition(type=t, status=s) for t, s in conditions])
    return client.V1Pod(metadata=client.V1ObjectMeta(name="p"), status=status)


@pytest.mark.criterion("cd-deploy")
def test_a_pod_is_ready_only_with_its_ready_condition_true():
    assert pod_ready(_pod(("PodScheduled", "True"), ("Ready", "True")))
    assert not pod_ready(_pod(("PodScheduled", "True"), ("Ready", "False")))
    assert not pod_ready(_pod(("PodScheduled", "True")))
    assert not pod_ready(client.V1Pod(metadata=client.V1ObjectMeta(name="pending")))


@pytest.mark.criterion("cd-deploy")
def test_a_wait_returns_what_it_waited_for_and_a_timeout_says_what_it_saw_last():
    seen = iter([None, [], {"ready": 1}])
    assert wait_until("a value", 5, lambda: next(seen), interval=0) == {"ready": 1}
    with pytest.raises(pytest.fail.Exception) as timed_out:
        wait_until("the web tier", 0, lambda: [], detail=lambda: "2 of 3 Ready")
    assert str(timed_out.value) == "timed out after 0 s waiting for the web tier (last: 2 of 3 Ready)"


def _cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    monkeypatch.chdir(tmp_path)  # pytest-kind keeps its state in ./.pytest-kind/NAME
    never = tmp_path / "not-run"
    return Cluster("lks-logic", tmp_path / "kubeconfig", kind_path=never, kubectl_path=never)


@pytest.mark.criterion("cd-deploy")
def test_the_cluster_is_created_by_up_sh_with_its_own_kind_config_only(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"scripts/cluster/up\.sh"):
        _cluster(tmp_path, monkeypatch).create(config_file=tmp_path / "kind-config.yaml")


@pytest.mark.criterion("cd-deploy")
@pytest.mark.parametrize("tag", ["lks/app:latest", "lks/app", "localhost:5000/lks/app"])
def test_an_image_without_a_fixed_tag_is_refused_before_kind_is_run(tmp_path, monkeypatch, tag):
    with pytest.raises(pytest.fail.Exception, match="load images with a fixed tag"):
        _cluster(tmp_path, monkeypatch).load_docker_image(tag)
