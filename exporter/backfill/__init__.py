"""`mm-analytics backfill`: the activity before each org's live start, written into Prometheus
or VictoriaMetrics.

The data flow: the platform's activity, read backwards one UTC day at a time (`reader`) → counts
per workspace and 15-minute slot → sample values that end at 0 at the org's start (`values`) →
one day of every org handed to the store's writer (`writer`): OpenMetrics text (`openmetrics`)
→ promtool blocks renamed into the data dir (`blocks`), or JSON lines (`jsonlines`) imported
into VictoriaMetrics (`victoria`) → each org's progress committed to the ledger (`run`).
"""
