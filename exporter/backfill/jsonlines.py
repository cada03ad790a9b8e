"""The history's samples as VictoriaMetrics' JSON lines import format, one line per series.

The same families, labels and `job` as the OpenMetrics text promtool reads, timestamps in ms:

    {"metric":{"__name__":"mechamental_executions_by_time_total","job":"mechamental-backfill",
     "org_id":"o","workspace_id":"w"},"values":[-3,-2,0],"timestamps":[1796054400000,...]}
"""

from __future__ import annotations

import json

from exporter.backfill.samples import DayPoints, day_series


def render(day: DayPoints) -> str:
    """JSON lines of every family of the day's points."""
    lines = []
    for _, series_list in day_series(day):
        for series in series_list:
            body = {
                "metric": {"__name__": series.name, **dict(series.labels)},
                "values": [value for _, value in series.samples],
                "timestamps": [millis for millis, _ in series.samples],
            }
            lines.append(json.dumps(body, separators=(",", ":")) + "\n")
    return "".join(lines)
