"""The docs' FPM sizing formula is what the entrypoint computes and what the pool config gets.

docs/APP.md holds the formula as a delimited block plus a table of examples; the entrypoint's own
`fpm_pool_sizing` runs in bash (no Docker), and app/php-fpm.conf is rendered with the environment
the entrypoint execs php-fpm with. Each source is also broken on purpose to prove the check fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.static import fpm_sizing
from tests.static.fpm_sizing import DOC, ENTRYPOINT, POOL_CONFIG, SizingError, mismatches

pytestmark = [
    pytest.mark.static,
    pytest.mark.criterion("fpm-how-it-works", "fpm-container-config", variant="fpm"),
]


def _variant(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text()
    assert old in text, f"{source.name} no longer contains {old!r}: update this negative case"
    copy = tmp_path / source.name
    copy.write_text(text.replace(old, new))
    if source == ENTRYPOINT:
        shutil.copymode(source, copy)
    return copy


def test_the_docs_formula_its_examples_the_entrypoint_and_the_pool_config_agree_for_every_memory_limit():
    limits = [row["limit_mb"] for row in fpm_sizing.doc_examples(DOC.read_text())]
    assert {256, 512, 1024} <= set(limits), f"the docs' examples cover only {limits}"
    assert mismatches() == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"PHP_FPM_CHILD_MB": "64"},
        {"PHP_FPM_RESERVED_MB": "128", "PHP_FPM_MAX_CHILDREN_CAP": "8"},
        {"PHP_FPM_PM_MAX_CHILDREN": "3", "PHP_MEMORY_LIMIT_MAX_MB": "96"},
    ],
    ids=["child-64", "reserved-128-cap-8", "fixed-3-children"],
)
def test_the_three_still_agree_when_the_sizing_settings_are_overridden(overrides):
    assert mismatches(env=overrides) == []


@pytest.mark.parametrize(
    ("which", "source", "old", "new", "expected"),
    [
        pytest.param(
            "doc",
            DOC,
            "child_mb          = env(PHP_FPM_CHILD_MB, 48)",
            "child_mb          = env(PHP_FPM_CHILD_MB, 64)",
            ("the entrypoint computes max_children", "the docs' table says max_children"),
            id="a docs formula that differs from the entrypoint",
        ),
        pytest.param(
            "entrypoint",
            ENTRYPOINT,
            "fpm_max_children / 5 > 1 ? fpm_max_children / 5",
            "fpm_max_children / 4 > 1 ? fpm_max_children / 4",
            (
                "1024 MB: the entrypoint computes start_servers '4'",
                "the pool config gets pm.start_servers = '4'",
            ),
            id="an entrypoint that sizes differently from the docs",
        ),
    ],
)
def test_a_sizing_that_differs_between_the_entrypoint_and_the_docs_is_rejected(
    tmp_path, which, source, old, new, expected
):
    found = mismatches(**{which: _variant(tmp_path, source, old, new)})
    for needle in expected:
        assert any(needle in m for m in found), (needle, found)


def test_a_pool_config_that_ignores_the_entrypoint_is_rejected(tmp_path):
    hard_coded = _variant(
        tmp_path, POOL_CONFIG, "pm.max_children = ${PHP_FPM_PM_MAX_CHILDREN}", "pm.max_children = 10"
    )
    assert any("pm.max_children = '10'" in m for m in mismatches(pool_config=hard_coded))
    (tmp_path / "typo").mkdir()
    typo = _variant(tmp_path / "typo", POOL_CONFIG, "${PHP_FPM_PM_MAX_CHILDREN}", "${PHP_FPM_MAX_CHILDREN}")
    assert any(
        "uses ${PHP_FPM_MAX_CHILDREN}, which the entrypoint does not set" in m
        for m in mismatches(pool_config=typo)
    )


def test_docs_without_a_readable_formula_fail_with_one_clear_line(tmp_path):
    missing = tmp_path / "missing.md"
    missing.write_text("# no formula here\n")
    with pytest.raises(SizingError, match="no <!-- fpm-sizing:begin -->"):
        mismatches(doc=missing)
    hostile = _variant(
        tmp_path, DOC, "min_spare_servers = start_servers", "min_spare_servers = __import__('os').getpid()"
    )
    with pytest.raises(SizingError, match="unsupported expression"):
        mismatches(doc=hostile)
