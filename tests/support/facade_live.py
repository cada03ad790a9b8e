"""A live exporter double for the façade: fixed inventory and counters, collection times of
"now", and the per-app and per-namespace families switched off. A real Prometheus scrapes it,
so the façade runs against live data on the real clock."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from exporter import catalogue as cat

ORG = "org-live"
WORKSPACE = "ws-live"


@dataclass
class LiveExporter:
    """What the double exposes; tests change the fields between scrapes."""

    resources: dict[str, int] = field(
        default_factory=lambda: {kind: n + 1 for n, kind in enumerate(cat.RESOURCE_KINDS)}
    )
    executions: int = 41
    failed: int = 3
    detail_enabled: bool = False

    def render(self) -> str:
        """The exposition text of one scrape."""
        now = time.time()
        ids = f'org_id="{ORG}",workspace_id="{WORKSPACE}"'
        lines = [
            f"{cat.WORKSPACE_INFO.sample_name}{{{ids}}} 1",
            f"{cat.WORKSPACE_COLLECTED.sample_name}{{{ids}}} {now - 2:.3f}",
            f"{cat.EXECUTIONS.sample_name}{{{ids}}} {self.executions}",
            f"{cat.EXECUTIONS_FAILED.sample_name}{{{ids}}} {self.failed}",
        ]
        lines += [
            f'{cat.WORKSPACE_RESOURCES.sample_name}{{{ids},resource="{kind}"}} {count}'
            for kind, count in self.resources.items()
        ]
        for collector in cat.COLLECTORS:
            lines.append(
                f'{cat.COLLECTOR_LAST_SUCCESS.sample_name}{{collector="{collector}"}} {now - 1:.3f}'
            )
        for level in cat.DETAIL_LEVELS:
            enabled = int(self.detail_enabled)
            lines.append(f'{cat.DETAIL_ENABLED.sample_name}{{level="{level}"}} {enabled}')
        return "\n".join(lines) + "\n"
