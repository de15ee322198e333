"""The k8s tier's own logic that makes it repeatable, checked without a cluster:

- it changes only the clusters it created, unless told otherwise (fixtures/cluster.py): an
  existing kind cluster is reused with --keep-cluster or by the run (xdist workers) that created
  it; any other existing cluster is refused with one line;
- the observability tests count the traffic they sent by per-pod counter growth, which stays
  right on a cluster whose pods were replaced (stale series, counters restarted at 0).
"""

from __future__ import annotations

import pytest

from fixtures.cluster import ownership
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
