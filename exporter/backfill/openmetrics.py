"""The history's samples as OpenMetrics text, one text per UTC day of every org.

promtool re-reads its whole input for every block it writes; a day of boundary samples
is small enough for that, and one run per day (all orgs in the same blocks) writes the fewest
blocks, each costing mostly an fsync. The families keep their catalogue names and labels; `job`
sets the backfilled series apart from the scraped ones. promtool accepts the negative values
under `counter` and `histogram`:

    # TYPE mechamental_executions_by_time counter
    mechamental_executions_by_time_total{job="mechamental-backfill",org_id="o",workspace_id="w"} -3 1796054400.000
    # EOF
"""  # noqa: E501

from __future__ import annotations

from exporter.backfill.samples import DayPoints, day_series


def label_value(text: str) -> str:
    """A label value escaped for the exposition format."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(day: DayPoints) -> str:
    """One OpenMetrics text of every family of the day's points."""
    lines: list[str] = []
    for family, series_list in day_series(day):
        if not series_list:
            continue
        lines.append(f"# TYPE {family.name} {family.kind}\n")
        for series in series_list:
            labels = ",".join(f'{name}="{label_value(value)}"' for name, value in series.labels)
            name = f"{series.name}{{{labels}}}"
            lines += [
                f"{name} {value} {millis // 1000}.{millis % 1000:03d}\n"
                for millis, value in series.samples
            ]
    lines.append("# EOF\n")
    return "".join(lines)
