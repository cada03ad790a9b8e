"""Which Prometheus-compatible engine serves the query API, and what the façade sends it.

Every engine answers the same PromQL at the same evaluation times; they differ only in what a
query must carry for that to hold:

- VictoriaMetrics rounds a range query's start down to a multiple of its step when the query
  has 50 or more points (for its result cache), and evaluates an instant query within 30 s of
  its own clock 30 s earlier (`-search.latencyOffset`). `nocache=1` turns both off, so a daily
  bucket of a half-hour zone starts where it should and `updated_at` is the newest collection.
  A cluster whose storage node is down answers from the others unless told
  `deny_partial_response=1` (the single node ignores it): a count must fail, not shrink.
- Thanos answers from the stores it reaches, unless `partial_response=false`.
- Prometheus and Mimir need nothing more. (Query frontends that align a range with its step are
  harmless: `facade.timeseries` only sends ranges that start on a multiple of the step.)

`auto` asks `/api/v1/status/buildinfo` once: Mimir names itself in `application`, VictoriaMetrics
answers without the `revision` Prometheus and Thanos report (1.79 answers an empty object).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

BUILDINFO = "status/buildinfo"


class Engine(StrEnum):
    """An engine the façade knows by name."""

    PROMETHEUS = "prometheus"
    VICTORIAMETRICS = "victoriametrics"
    MIMIR = "mimir"
    THANOS = "thanos"


AUTO = "auto"
ENGINE_SETTINGS = (AUTO, *Engine)  # the values of FACADE_PROMETHEUS_ENGINE

_QUERY_PARAMS: Mapping[Engine, Mapping[str, str]] = {
    Engine.VICTORIAMETRICS: {"nocache": "1", "deny_partial_response": "1"},
    Engine.THANOS: {"partial_response": "false"},
}


def query_params(engine: Engine) -> Mapping[str, str]:
    """What every query to `engine` carries besides the query itself."""
    return _QUERY_PARAMS.get(engine, {})


def from_buildinfo(body: Any) -> Engine:
    """The engine behind a `/api/v1/status/buildinfo` answer (Prometheus if unrecognised)."""
    data = body.get("data") if isinstance(body, dict) and body.get("status") == "success" else None
    if not isinstance(data, dict):
        return Engine.PROMETHEUS
    if "mimir" in str(data.get("application", "")).lower():
        return Engine.MIMIR
    if "revision" not in data:
        return Engine.VICTORIAMETRICS
    return Engine.PROMETHEUS
