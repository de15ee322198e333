"""terraform-infra: the Terraform under terraform/ is formatted, initialises and validates against
the real provider schemas (built offline into a filesystem mirror), plans the whole stack, and
follows the module conventions of STYLE.md (terraform-aws-modules layout). Every Kubernetes
object has one owner: Terraform applies the kustomize trees of k8s/ and declares none itself.

Every check also runs on a broken sample under tests/static/samples/terraform-validate/ that it
must reject, so none can pass vacuously.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest
import yaml

from fixtures.manifests import K8S, render
from fixtures.terraform import Stack
from fixtures.terraform import provider_cli_config as mirror_cli_config
from plugins.capabilities import require_tool
from tests.repo import ROOT, SAMPLES

pytestmark = [pytest.mark.static, pytest.mark.criterion("terraform-infra")]

TF = ROOT / "terraform"
MODULES = ("k8s-cluster", "monitoring", "networking")  # what the root module wires
# the trees Terraform applies (module.networking: the app namespace, Traefik; module.monitoring)
APPLIED_TREES = {
    'module.networking.module.tree["namespace"]': "k8s/base/namespace",
    'module.networking.module.tree["ingress"]': "k8s/cluster/addons/traefik",
    "module.monitoring.module.tree": "k8s/monitoring",
}
STANDARD_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
TF_SAMPLES = SAMPLES / "terraform-validate"
VALIDATE = ROOT / "scripts" / "terraform-validate.sh"


def terraform_dirs() -> list[Path]:
    """The root module, every module and every example: what the criterion covers."""
    dirs = [TF]
    for parent in (TF / "modules", TF / "examples"):
        if parent.is_dir():
            dirs += sorted(p for p in parent.iterdir() if p.is_dir() and any(p.glob("*.tf")))
    return dirs


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- running the real terraform through the project's scripts ----------------------------------
@pytest.fixture(scope="module")
def terraform() -> str:
    return require_tool("terraform")


@pytest.fixture(scope="module")
def provider_cli_config(terraform: str) -> str:
    """CLI config of the provider mirror; fails in one line when the providers are not built."""
    return mirror_cli_config()


def run_validate(terraform: str, *dirs: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    environment = {**os.environ, "TERRAFORM": terraform, **(env or {})}
    proc = subprocess.run(
        [str(VALIDATE), *map(str, dirs)], capture_output=True, text=True, timeout=900, env=environment
    )
    return proc.returncode, proc.stdout, proc.stderr


# --- HCL conventions (python-hcl2) ----------------------------------------------------------------
def _unquote(value: object) -> object:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def blocks(directory: Path, kind: str) -> list[tuple[str, str, dict]]:
    """(file, name, body) of every `kind` block (variable, output, module...) in a directory."""
    found = []
    for tf in sorted(directory.glob("*.tf")):
        with tf.open() as fh:
            doc = hcl2.load(fh)
        for entry in doc.get(kind, []):
            for name, body in entry.items():
                found.append((tf.name, str(_unquote(name)), body))
    return found


def resources(directory: Path) -> list[tuple[str, str]]:
    """(type, name) of every managed resource in a directory."""
    found = []
    for tf in sorted(directory.glob("*.tf")):
        with tf.open() as fh:
            doc = hcl2.load(fh)
        for entry in doc.get("resource", []):
            for rtype, named in entry.items():
                for name in named:
                    found.append((str(_unquote(rtype)), str(_unquote(name))))
    return found


def convention_problems(directory: Path) -> list[str]:
    """What STYLE.md's Terraform section asks of a module, checked on the parsed HCL."""
    problems = [f"missing {f}" for f in STANDARD_FILES if not (directory / f).is_file()]
    for file, name, body in blocks(directory, "variable"):
        if "type" not in body:
            problems.append(f"{file}: variable {name} has no type")
        if not str(_unquote(body.get("description", ""))).strip():
            problems.append(f"{file}: variable {name} has no description")
    for file, name, body in blocks(directory, "output"):
        if not str(_unquote(body.get("description", ""))).strip():
            problems.append(f"{file}: output {name} has no description")
    by_type: dict[str, list[str]] = {}
    for rtype, name in resources(directory):
        by_type.setdefault(rtype, []).append(name)
    for rtype, names in by_type.items():
        if len(names) == 1 and names[0] != "this":
            problems.append(f"resource {rtype}.{names[0]} is the only {rtype}: name it `this`")
    return problems


# --- the repository's Terraform -------------------------------------------------------------------
def test_the_cluster_monitoring_and_networking_modules_exist_with_the_four_standard_files():
    present = {p.name for p in terraform_dirs() if p.parent == TF / "modules"}
    assert set(MODULES) <= present, f"modules missing under terraform/modules: {set(MODULES) - present}"
    missing = [
        f"{_id(d)}/{f}"
        for d in terraform_dirs()
        if d.parent != TF / "examples"
        for f in STANDARD_FILES
        if not (d / f).is_file()
    ]
    assert not missing, "missing standard files: " + ", ".join(missing)


def test_the_root_module_wires_the_three_modules():
    sources = {name: _unquote(body["source"]) for _, name, body in blocks(TF, "module")}
    assert sorted(sources.values()) == [f"./modules/{m}" for m in sorted(MODULES)], sources


def test_the_local_kind_example_uses_the_root_module():
    example = TF / "examples" / "local-kind"
    sources = [_unquote(body["source"]) for _, _, body in blocks(example, "module")]
    assert sources == ["../../"], sources


@pytest.mark.parametrize("directory", terraform_dirs(), ids=_id)
def test_every_variable_is_typed_and_described_every_output_described_and_lone_resources_named_this(
    directory: Path,
):
    assert not convention_problems(directory), "\n".join(convention_problems(directory))


@pytest.mark.slow
@pytest.mark.parametrize("directory", terraform_dirs(), ids=_id)
def test_fmt_check_init_and_validate_pass(terraform: str, provider_cli_config: str, directory: Path):
    rc, out, err = run_validate(terraform, directory)
    assert rc == 0, f"{out}\n{err}"
    assert f"ok {_id(directory)}" in out.splitlines(), out


@pytest.mark.slow
def test_the_root_module_plans_the_cluster_and_applies_the_kustomize_trees_of_its_objects(
    terraform: str, provider_cli_config: str, tmp_path: Path
):
    """A real `terraform plan` with no cluster yet: the trees are applied with the kubeconfig the
    cluster resource writes (the Helm provider is configured from it too), so one `apply`
    creates everything; no planned object is also defined by a kustomize tree."""
    image = "lks/kind-node:plan-test"
    stack = Stack.snapshot(tmp_path / "repo", [f"-var=node_image={image}"])
    work, monitoring = stack.repo, stack.repo / "monitoring"
    stack.plan("-out=plan.bin")
    plan = json.loads(stack.tf("show", "-json", "plan.bin").stdout)
    changes = {rc["address"]: rc["change"] for rc in plan["resource_changes"]}
    creates = {a for a, c in changes.items() if c["actions"] == ["create"]}

    cluster = changes["module.k8s_cluster[0].terraform_data.this"]["after"]
    assert cluster["input"]["node_image"] == image
    kind_config = yaml.safe_load(cluster["triggers_replace"][2])
    mappings = kind_config["nodes"][0]["extraPortMappings"]
    assert {m["hostPort"] for m in mappings} == {18080, 18443, 30080}
    assert {m["listenAddress"] for m in mappings} == {"127.0.0.1"}

    # the trees of k8s/ are applied and deleted as they are: one pair of steps for each, nothing else
    assert creates == {
        "module.k8s_cluster[0].terraform_data.this",
        *(f"{tree}.terraform_data.{step}" for tree in APPLIED_TREES for step in ("apply", "delete")),
    }, creates
    for tree, path in APPLIED_TREES.items():
        applied = changes[f"{tree}.terraform_data.delete"]["after"]["input"]
        assert applied["TREE"] == str(work / path), applied
        assert changes[f"{tree}.terraform_data.apply"]["after"]["triggers_replace"][1] == applied
    monitoring_tree = changes["module.monitoring.module.tree.terraform_data.apply"]["after"]
    assert monitoring_tree["triggers_replace"][1]["IMAGES"] == "", "the tree's own Prometheus image is kept"
    assert double_owned(plan["resource_changes"], rendered_objects()) == []

    outputs = plan["planned_values"]["outputs"]
    assert outputs["namespaces"]["value"] == ["laravel", "monitoring"]
    rules = yaml.safe_load((monitoring / "kustomization.yaml").read_text())["configMapGenerator"]
    expected_rules = next(g["files"] for g in rules if g["name"] == "prometheus-rules")
    assert outputs["prometheus"]["value"]["rule_files"] == sorted(f.split("=")[0] for f in expected_rules)
    # the configuration's rule_files glob points where k8s/monitoring mounts the rules ConfigMap
    config = yaml.safe_load((monitoring / "prometheus" / "config.yml").read_text())
    deployment = yaml.safe_load((work / "k8s" / "monitoring" / "prometheus-deployment.yaml").read_text())
    mounts = {
        m["name"]: m["mountPath"]
        for m in deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    for pattern in config["rule_files"]:
        assert str(Path(pattern).parent) == mounts["rules"], (pattern, mounts)


# --- one owner per Kubernetes object ----------------------------------------------------------------
def _kind(resource_type: str) -> str:
    """kubernetes_network_policy_v1 -> NetworkPolicy: the kind a kubernetes provider resource creates."""
    words = resource_type.removeprefix("kubernetes_").split("_")
    if words[-1][:1] == "v" and words[-1][1:].isdigit():
        words = words[:-1]
    return "".join(w.capitalize() for w in words)


def rendered_objects() -> dict[tuple[str, str | None, str], str]:
    """(kind, namespace, name) -> the smallest kustomization under k8s/ that renders the object
    (the tree that defines it; larger ones pull it in)."""
    found: dict[tuple[str, str | None, str], tuple[int, str]] = {}
    for file in sorted(K8S.rglob("kustomization.yaml")):
        if (yaml.safe_load(file.read_text()) or {}).get("kind") == "Component":
            continue
        docs = render(file.parent)
        for doc in docs:
            key = (doc["kind"], doc["metadata"].get("namespace"), doc["metadata"]["name"])
            found[key] = min(found.get(key, (len(docs), _id(file.parent))), (len(docs), _id(file.parent)))
    return {key: tree for key, (_, tree) in found.items()}


def double_owned(resource_changes: list[dict], rendered: dict[tuple[str, str | None, str], str]) -> list[str]:
    """Every Kubernetes object that a planned kubernetes_* resource declares in HCL and a kustomize
    tree defines too: two owners of one object (applying both, one overwrites the other)."""
    found = []
    for rc in resource_changes:
        if not rc["type"].startswith("kubernetes_") or not (rc["change"].get("after") or {}).get("metadata"):
            continue
        meta = rc["change"]["after"]["metadata"][0]
        kind = _kind(rc["type"])
        for (r_kind, r_namespace, r_name), tree in rendered.items():
            if (r_kind, r_name) == (kind, meta["name"]) and r_namespace == (meta.get("namespace") or None):
                found.append(f"{rc['address']}: {kind} {meta['name']} is also defined by {tree}")
    return found


def test_terraform_declares_no_kubernetes_object_itself():
    declared = [
        f"{_id(d)}: {rtype}.{name}"
        for d in terraform_dirs()
        for rtype, name in resources(d)
        if rtype.startswith("kubernetes_")
    ]
    assert declared == [], "Kubernetes objects belong in k8s/ (Terraform applies the trees):\n" + "\n".join(
        declared
    )


def test_the_ownership_check_finds_the_namespace_and_policy_that_hcl_restated():
    """What terraform/modules/networking planned before it applied k8s/base/namespace."""

    def planned(address: str, name: str, namespace: str | None) -> dict:
        rtype = address.split(".")[-2]
        return {
            "address": address,
            "type": rtype,
            "change": {"after": {"metadata": [{"name": name, "namespace": namespace}]}},
        }

    changes = [
        planned('module.networking.kubernetes_namespace_v1.this["laravel"]', "laravel", None),
        planned(
            'module.networking.kubernetes_network_policy_v1.default_deny["laravel"]',
            "default-deny",
            "laravel",
        ),
        planned("module.other.kubernetes_config_map_v1.this", "not-in-any-tree", "laravel"),
    ]
    assert double_owned(changes, rendered_objects()) == [
        'module.networking.kubernetes_namespace_v1.this["laravel"]: Namespace laravel is also defined by k8s/base/namespace',
        'module.networking.kubernetes_network_policy_v1.default_deny["laravel"]: NetworkPolicy default-deny is also defined by k8s/base/namespace',
    ]


# --- the checks reject broken input ---------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    ("sample", "phrases"),
    [
        pytest.param(
            "undeclared-variable",
            ("Reference to undeclared input variable", "replicas"),
            id="undeclared-variable",
        ),
        pytest.param(
            "unknown-argument",
            ("Unsupported argument", "pod_security"),
            id="argument-the-provider-schema-lacks",
        ),
    ],
)
def test_validate_rejects_the_broken_sample(terraform: str, provider_cli_config: str, sample: str, phrases):
    rc, out, _ = run_validate(terraform, TF_SAMPLES / sample)
    assert rc != 0, out
    for phrase in phrases:
        assert phrase in out, out


def test_the_convention_check_reports_every_violation_of_the_sample():
    problems = convention_problems(TF_SAMPLES / "style-violations")
    assert sorted(problems) == sorted(
        [
            "missing versions.tf",
            "variables.tf: variable name has no description",
            "variables.tf: variable size has no type",
            "outputs.tf: output id has no description",
            "resource terraform_data.cluster is the only terraform_data: name it `this`",
        ]
    ), problems


def test_validate_fails_in_one_line_saying_how_to_get_terraform_when_it_is_missing(tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "mktemp", "rm"):
        shutil_path = shutil.which(tool)
        assert shutil_path, tool
        (bin_dir / tool).symlink_to(shutil_path)
    env = {"PATH": str(bin_dir), "LKS_CACHE": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    proc = subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(VALIDATE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        "error: terraform not found: make setup (go install github.com/hashicorp/terraform@v1.11.4)"
    ], proc.stderr


def test_validate_fails_in_one_line_saying_how_to_build_the_providers_when_they_are_missing(
    terraform: str, tmp_path: Path
):
    rc, out, err = run_validate(
        terraform, TF, env={"LKS_CACHE": str(tmp_path), "TF_PROVIDER_MIRROR": str(tmp_path / "mirror")}
    )
    assert rc != 0, out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: terraform provider hashicorp/"), lines[0]
    assert "run scripts/terraform-providers.sh" in lines[0], lines[0]
