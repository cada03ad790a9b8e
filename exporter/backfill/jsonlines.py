"""The history's samples as VictoriaMetrics' JSON lines import format, one line per series.

The same families, labels and `job` as the OpenMetrics text promtool reads, timestamps in ms:

    {"metric":{"__name__":"mechamental_executions_by_time_total","job":"mechamental-backfill",
     "org_id":"o","workspace_id":"w"},"values":[-3,-2,0],"timestamps":[1796054400000,...]}
"""

from __future__ import annotations

import json

from exporter.backfill.openmetrics import FAMILIES, JOB
from exporter.backfill.writer import Points


def render(points: Points) -> str:
    """JSON lines of both families for points by (org, workspace), each ascending."""
    lines = []
    for family, index in FAMILIES:
        for (org_id, workspace), series in sorted(points.items()):
            metric = {
                "__name__": family.sample_name,
                "job": JOB,
                "org_id": org_id,
                "workspace_id": workspace,
            }
            body = {
                "metric": metric,
                "values": [point[index] for point in series],
                "timestamps": [point[0] for point in series],
            }
            lines.append(json.dumps(body, separators=(",", ":")) + "\n")
    return "".join(lines)
