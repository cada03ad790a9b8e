"""The history's samples as OpenMetrics text, one text per window (a day of one org).

promtool re-reads its whole input for every two-hour block it writes; a day of one org's
boundary samples is small enough for that, and one run per day saves a process per block. The
families keep their catalogue names and labels; `job` sets the backfilled
series apart from the scraped ones. promtool accepts the negative values under `counter`:

    # TYPE mechamental_executions_by_time counter
    mechamental_executions_by_time_total{job="mechamental-backfill",org_id="o",workspace_id="w"} -3 1796054400.000
    # EOF
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Mapping, Sequence

from exporter.backfill.values import Point
from vocabulary import catalogue as cat

JOB = "mechamental-backfill"
FAMILIES = ((cat.EXECUTIONS_BY_TIME, 1), (cat.EXECUTIONS_FAILED_BY_TIME, 2))  # value index


def label_value(text: str) -> str:
    """A label value escaped for the exposition format."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(org_id: str, points: Mapping[str, Sequence[Point]]) -> str:
    """One OpenMetrics text of both families for the org's points (each series ascending)."""
    lines: list[str] = []
    org = label_value(org_id)
    for family, index in FAMILIES:
        lines.append(f"# TYPE {family.name} {family.kind}\n")
        for workspace in sorted(points):
            labels = f'{{job="{JOB}",org_id="{org}",workspace_id="{label_value(workspace)}"}}'
            name = family.sample_name + labels
            lines += [
                f"{name} {point[index]} {point[0] // 1000}.{point[0] % 1000:03d}\n"
                for point in points[workspace]
            ]
    lines.append("# EOF\n")
    return "".join(lines)
