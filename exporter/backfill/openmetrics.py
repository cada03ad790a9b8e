"""The history's samples as OpenMetrics text, one text per UTC day of every org.

promtool re-reads its whole input for every two-hour block it writes; a day of boundary samples
is small enough for that, and one run per day (all orgs in the same blocks) writes the fewest
blocks, each costing mostly an fsync. The
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


def render(points: Mapping[tuple[str, str], Sequence[Point]]) -> str:
    """One OpenMetrics text of both families for points by (org, workspace), each ascending."""
    lines: list[str] = []
    for family, index in FAMILIES:
        lines.append(f"# TYPE {family.name} {family.kind}\n")
        for org_id, workspace in sorted(points):
            org, ws = label_value(org_id), label_value(workspace)
            name = f'{family.sample_name}{{job="{JOB}",org_id="{org}",workspace_id="{ws}"}}'
            lines += [
                f"{name} {point[index]} {point[0] // 1000}.{point[0] % 1000:03d}\n"
                for point in points[(org_id, workspace)]
            ]
    lines.append("# EOF\n")
    return "".join(lines)
