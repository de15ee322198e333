"""terraform-infra: the Terraform under terraform/ is formatted, initialises and validates against
the real provider schemas (built offline into a filesystem mirror), plans the whole stack, and
follows the module conventions of STYLE.md (terraform-aws-modules layout).

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

from plugins.capabilities import require_tool
from tests.repo import ROOT, SAMPLES

pytestmark = [pytest.mark.static, pytest.mark.criterion("terraform-infra")]

TF = ROOT / "terraform"
MODULES = ("k8s-cluster", "monitoring", "networking")
STANDARD_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
TF_SAMPLES = SAMPLES / "terraform-validate"
VALIDATE = ROOT / "scripts" / "terraform-validate.sh"
PROVIDERS = ROOT / "scripts" / "terraform-providers.sh"


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
    proc = subprocess.run([str(PROVIDERS), "--check"], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"{PROVIDERS.name} --check failed"]
        pytest.fail(lines[-1], pytrace=False)
    return proc.stdout.strip()


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
def test_the_root_module_plans_the_cluster_its_isolation_and_prometheus_from_the_repository_files(
    terraform: str, provider_cli_config: str, tmp_path: Path
):
    """A real `terraform plan` with no cluster yet: the Kubernetes providers are configured from
    the kubeconfig the cluster resource writes, so one `apply` creates everything."""
    work = tmp_path / "repo"
    shutil.copytree(TF, work / "terraform", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    # a snapshot: the assertions compare with what was planned, even if monitoring/ is edited meanwhile
    monitoring = work / "monitoring"
    shutil.copytree(ROOT / "monitoring", monitoring)
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": provider_cli_config,
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }

    def tf(*args: str) -> str:
        proc = subprocess.run(
            [terraform, f"-chdir={work / 'terraform'}", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert proc.returncode == 0, f"terraform {args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    tf("init", "-backend=false", "-input=false", "-no-color")
    image = "lks/kind-node:plan-test"
    tf("plan", "-input=false", "-no-color", "-lock=false", "-out=plan.bin", f"-var=node_image={image}")
    plan = json.loads(tf("show", "-json", "plan.bin"))
    changes = {rc["address"]: rc["change"] for rc in plan["resource_changes"]}
    creates = {a for a, c in changes.items() if c["actions"] == ["create"]}

    cluster = changes["module.k8s_cluster[0].terraform_data.this"]["after"]
    assert cluster["input"]["node_image"] == image
    kind_config = yaml.safe_load(cluster["triggers_replace"][2])
    mappings = kind_config["nodes"][0]["extraPortMappings"]
    assert {m["hostPort"] for m in mappings} == {18080, 18443, 30080}
    assert {m["listenAddress"] for m in mappings} == {"127.0.0.1"}

    for ns in ("laravel", "monitoring"):
        assert f'module.networking.kubernetes_namespace_v1.this["{ns}"]' in creates
        policy = changes[f'module.networking.kubernetes_network_policy_v1.default_deny["{ns}"]']["after"][
            "spec"
        ][0]
        assert sorted(policy["policy_types"]) == ["Egress", "Ingress"]
        assert not policy.get("ingress"), policy
        assert not policy.get("egress"), policy

    config = (monitoring / "prometheus" / "config.yml").read_text()
    assert changes["module.monitoring.kubernetes_config_map_v1.config"]["after"]["data"] == {
        "config.yml": config
    }
    expected_rules = {
        f"{p.parent.name}-{p.name}": p.read_text()
        for p in [
            *(monitoring / "prometheus").glob("*.yml"),
            *(monitoring / "alerts").glob("*.yml"),
        ]
        if p.name != "config.yml"
    }
    assert changes["module.monitoring.kubernetes_config_map_v1.rules"]["after"]["data"] == expected_rules

    pod = changes["module.monitoring.kubernetes_deployment_v1.this[0]"]["after"]["spec"][0]["template"][0][
        "spec"
    ][0]
    container = pod["container"][0]
    mounts = {m["name"]: m["mount_path"] for m in container["volume_mount"]}
    config_arg = next(a for a in container["args"] if a.startswith("--config.file="))
    assert config_arg == f"--config.file={mounts['config']}/config.yml"
    # the configuration's rule_files glob must point where the rules ConfigMap is mounted
    for pattern in yaml.safe_load(config)["rule_files"]:
        assert str(Path(pattern).parent) == mounts["rules"], (pattern, mounts)


# --- the checks reject broken input ---------------------------------------------------------------
@pytest.mark.slow
def test_validate_rejects_a_module_that_references_an_undeclared_variable(
    terraform: str, provider_cli_config: str
):
    rc, out, _ = run_validate(terraform, TF_SAMPLES / "undeclared-variable")
    assert rc != 0, out
    assert "Reference to undeclared input variable" in out, out
    assert "replicas" in out, out


@pytest.mark.slow
def test_validate_rejects_an_argument_the_kubernetes_provider_schema_lacks(
    terraform: str, provider_cli_config: str
):
    rc, out, _ = run_validate(terraform, TF_SAMPLES / "unknown-argument")
    assert rc != 0, out
    assert "Unsupported argument" in out, out
    assert "pod_security" in out, out


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
