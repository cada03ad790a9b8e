"""stack.prometheus_files: where `up` finds its files, and its copy of the rules with the links
on the configured base, checked by the real promtool."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from stack import prometheus_files
from stack.launcher import parse_options
from stack.supervisor import REPO_ROOT, find_binary

BASE = "https://ops.example.test/mechamental"


def alerts(rules_dir: Path) -> list[dict]:
    specs = [yaml.safe_load(path.read_text()) for path in sorted(rules_dir.glob("*.yml"))]
    return [
        rule
        for spec in specs
        for group in spec["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def test_a_checkout_runs_with_its_own_prometheus_directory() -> None:
    assert prometheus_files.prometheus_dir({}) == REPO_ROOT / "prometheus"


def test_one_setting_names_another_directory(tmp_path: Path) -> None:
    environ = {prometheus_files.PROMETHEUS_DIR_SETTING: str(tmp_path)}
    assert prometheus_files.prometheus_dir(environ) == tmp_path
    assert parse_options([], environ).prometheus_dir == tmp_path


def test_links_base_comes_from_the_environment_or_the_command_line() -> None:
    environ = {prometheus_files.LINKS_URL_SETTING: f"{BASE}/"}
    assert parse_options([], {}).links_url == prometheus_files.DEFAULT_LINKS_URL
    assert parse_options([], environ).links_url == BASE
    assert parse_options(["--links-url=https://other.test"], environ).links_url == (
        "https://other.test"
    )


@pytest.mark.parametrize("links_url", ["ops.example.test", "/runbook", "ftp://ops.test"])
def test_a_links_base_that_is_not_an_absolute_url_is_refused(links_url: str) -> None:
    with pytest.raises(SystemExit):
        parse_options([f"--links-url={links_url}"], {})


def test_rendered_rules_link_every_alert_below_the_base(tmp_path: Path) -> None:
    source = REPO_ROOT / "prometheus"
    glob = prometheus_files.render_rules(source, tmp_path / "rules", BASE)
    assert glob == tmp_path / "rules" / "*.yml"
    rendered = alerts(tmp_path / "rules")
    assert len(rendered) == len(alerts(source / "rules")) > 0
    for rule in rendered:
        for name in prometheus_files.LINK_ANNOTATIONS:
            link = rule["annotations"][name]
            assert link.startswith(f"{BASE}/"), (rule["alert"], name, link)
            assert urlsplit(link).scheme == "https" and urlsplit(link).netloc
    result = subprocess.run(
        [find_binary("promtool"), "check", "rules", *map(str, sorted(glob.parent.glob("*.yml")))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendering_keeps_everything_but_the_links(tmp_path: Path) -> None:
    source = REPO_ROOT / "prometheus"
    prometheus_files.render_rules(source, tmp_path, prometheus_files.DEFAULT_LINKS_URL)
    for path in sorted((source / "rules").glob("*.yml")):
        assert yaml.safe_load((tmp_path / path.name).read_text()) == yaml.safe_load(
            path.read_text()
        )


def test_a_rerun_drops_rule_copies_of_an_earlier_run(tmp_path: Path) -> None:
    (tmp_path / "removed.yml").write_text("groups: []\n")
    prometheus_files.render_rules(REPO_ROOT / "prometheus", tmp_path, BASE)
    assert not (tmp_path / "removed.yml").exists()


def test_only_links_on_the_default_base_move() -> None:
    default = f"{prometheus_files.DEFAULT_LINKS_URL}/d/uid/slug?var-org_id={{{{ $labels.org_id }}}}"
    assert prometheus_files.rebase_link(default, f"{BASE}/") == (
        f"{BASE}/d/uid/slug?var-org_id={{{{ $labels.org_id }}}}"
    )
    other = "https://runbooks.example.test/x#y"
    assert prometheus_files.rebase_link(other, BASE) == other
    lookalike = f"{prometheus_files.DEFAULT_LINKS_URL}0/d/uid"
    assert prometheus_files.rebase_link(lookalike, BASE) == lookalike
