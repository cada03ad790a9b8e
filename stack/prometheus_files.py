"""The Prometheus and Alertmanager files `mm-analytics up` runs with, and this run's rule copies.

One setting says where the files are: MM_ANALYTICS_PROMETHEUS_DIR (`up --prometheus-dir`). By
default it is the copy an installed wheel carries as `stack/prometheus/` (built from the
repository's `prometheus/` by setup.py) or, run from a source checkout, that directory itself.

The alert links (`runbook_url`, `dashboard_url`) are written in the rules on DEFAULT_LINKS_URL,
where docker-compose publishes Grafana; the launcher's copy of the rules moves them onto the base
given by MM_ANALYTICS_LINKS_URL (`up --links-url`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

PROMETHEUS_DIR_SETTING = "MM_ANALYTICS_PROMETHEUS_DIR"
LINKS_URL_SETTING = "MM_ANALYTICS_LINKS_URL"
DEFAULT_LINKS_URL = "http://localhost:3000"
LINK_ANNOTATIONS = ("runbook_url", "dashboard_url")

PACKAGED_DIR = Path(__file__).resolve().parent / "prometheus"
CHECKOUT_DIR = Path(__file__).resolve().parents[1] / "prometheus"


def prometheus_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The directory holding prometheus.yml, alertmanager.yml and rules/."""
    configured = environ.get(PROMETHEUS_DIR_SETTING)
    if configured:
        return Path(configured).resolve()
    return PACKAGED_DIR if PACKAGED_DIR.is_dir() else CHECKOUT_DIR


def links_url(environ: Mapping[str, str] = os.environ) -> str:
    """The external base of the alert links, without a trailing slash."""
    return environ.get(LINKS_URL_SETTING, DEFAULT_LINKS_URL).rstrip("/")


def is_absolute_url(url: str) -> bool:
    """Whether `url` is an http(s) URL with a host."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def rebase_link(url: str, base: str) -> str:
    """A link written on DEFAULT_LINKS_URL moved onto `base`; any other link unchanged."""
    if url == DEFAULT_LINKS_URL or url.startswith(f"{DEFAULT_LINKS_URL}/"):
        return base.rstrip("/") + url.removeprefix(DEFAULT_LINKS_URL)
    return url


def rebase_rule_links(spec: dict[str, Any], base: str) -> dict[str, Any]:
    """A parsed rule file with every alert link on `base` (changed in place, and returned)."""
    for group in spec.get("groups", []):
        for rule in group.get("rules", []):
            annotations = rule.get("annotations", {})
            for name in LINK_ANNOTATIONS:
                if name in annotations:
                    annotations[name] = rebase_link(annotations[name], base)
    return spec


def render_rules(source_dir: Path, target_dir: Path, base: str) -> Path:
    """Copy `source_dir`/rules/*.yml into `target_dir` with their links on `base`; return the
    glob Prometheus reads them by. Copies left by an earlier run are replaced."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for stale in target_dir.glob("*.yml"):
        stale.unlink()
    for path in sorted((source_dir / "rules").glob("*.yml")):
        spec = rebase_rule_links(yaml.safe_load(path.read_text(encoding="utf-8")), base)
        text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=1000)
        (target_dir / path.name).write_text(text, encoding="utf-8")
    return target_dir / "*.yml"
