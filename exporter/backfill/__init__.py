"""`mm-analytics backfill`: the activity before each org's live start, written into Prometheus.

The data flow: the platform's activity, read backwards one UTC day at a time (`reader`) → counts
per workspace and 15-minute slot → sample values that end at 0 at the org's start (`values`) →
OpenMetrics text per UTC day of every org (`openmetrics`) → promtool blocks renamed into the
data dir (`blocks`) → each org's progress committed to the ledger (`run`).
"""
