"""The query builder: strict ids, escaped label values, catalogue names only, no doubled scrapes."""

from __future__ import annotations

import re

import pytest

from facade import promql
from facade.promql import counters
from tests.support.history import END
from tests.support.history_stores import on_every_store
from tests.support.prometheus import PrometheusServer
from tests.support.victoria import VictoriaMetricsServer
from vocabulary import catalogue

DETAIL_COUNTERS = (
    counters.DURATION_BUCKETS,
    counters.TOKENS,
    counters.APP_EXECUTIONS,
    counters.APP_EXECUTIONS_FAILED,
    counters.PIPELINE_EXECUTIONS,
    counters.PIPELINE_EXECUTIONS_FAILED,
    counters.FAILURES_BY_CODE,
)

EVIL = [
    'ws-a01"} or vector(1) or {x="',
    "ws-a01\\",
    "ws-a01\n",
    'a"b\\c\nd',
    ".*",
    "wś-ä01",
    "}",
]
REGEX_LIKE = ["ws-a0.", "ws.a01", "ws-a0[1]"]  # valid ids that select nothing
# Valid ids with a character of each kind the grammar accepts beyond letters and digits.
ODD = ["org:ä/1 %x", "ws 😀 ñ", "a\u00a0b", "it's `q`", "%2F/..", "+?#&=;,", "ｗｓ\u3000١"]
INVALID = ["ws-a01\n", 'a"b\\c\nd', "", " ws", "*", "..", "\ufffd", "ws\u202e", "x" * 129]


@pytest.mark.parametrize("value", INVALID)
def test_ids_outside_the_pattern_never_reach_a_query(value: str) -> None:
    with pytest.raises(promql.UnsafeIdError):
        promql.Scope("org-alpha", value).matchers()


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ('ws-a01"} or vector(1) or {x="', 'ws-a01\\"} or vector(1) or {x=\\"'),
        ("ws-a01\\", "ws-a01\\\\"),
        ("org:ä/1 %x", "org:ä/1 %x"),
        ("}", "}"),
    ],
)
def test_odd_valid_ids_reach_a_query_only_as_quoted_strings(value: str, quoted: str) -> None:
    assert promql.Scope("org-alpha", value).matchers() == (
        f'{{org_id="org-alpha",workspace_id="{quoted}"}}'
    )


def test_label_values_are_escaped_as_promql_strings() -> None:
    assert promql.escape_label_value('a"b') == 'a\\"b'
    assert promql.escape_label_value("a\\b") == "a\\\\b"
    assert promql.escape_label_value("a\nb") == "a\\nb"
    assert promql.escape_label_value('\\"') == '\\\\\\"'


@pytest.mark.parametrize("value", EVIL + REGEX_LIKE + ODD)
def test_escaped_values_are_plain_strings_to_prometheus(
    history_prometheus: PrometheusServer, value: str
) -> None:
    """Even past validation, an escaped value only ever matches itself: here, nothing."""
    family = catalogue.WORKSPACE_INFO.sample_name
    query = f'{family}{{workspace_id="{promql.escape_label_value(value)}"}}'
    assert history_prometheus.query(query, at=END) == []
    matched = history_prometheus.query(f'{family}{{workspace_id="ws-a01"}}', at=END)
    assert matched  # the control: the same shape does select a real workspace


def test_matchers_are_equality_only() -> None:
    scope = promql.Scope("org.alpha", "ws.a01", "app.1", "ns.1")
    assert scope.matchers() == (
        '{org_id="org.alpha",workspace_id="ws.a01",app_id="app.1",namespace_id="ns.1"}'
    )
    assert "=~" not in promql.tagged(promql.workspace_parts(scope))


def every_query() -> list[str]:
    """One of each query the façade sends."""
    scope = promql.Scope("org-alpha", "ws-a01", "app-01", "ns-01")
    parts = {
        **promql.workspace_parts(scope),
        **promql.existence_parts(scope),
        **promql.source_parts(scope),
        **promql.secret_parts(scope),
        **promql.action_parts(scope),
        **promql.app_parts(scope),
        **promql.namespace_parts(scope),
    }
    return [
        promql.tagged(parts),
        counters.counter_reads(scope, 3600),
        counters.counter_reads(scope, 86400, 19800),
        counters.counter_reads(scope, 3600, checks=False, reach=7200),
        counters.counter_resets(scope, 172800, 19800),
        counters.counter_before(scope),
        counters.counter_samples(scope, 86400),
        *(
            query
            for counted in DETAIL_COUNTERS
            for query in (
                counters.counter_reads(scope, 86400, 19800, counted),
                counters.counter_before(scope, counted),
                counters.counter_samples(scope, 86400, counted),
            )
        ),
    ]


def test_every_part_name_is_built_and_tagged() -> None:
    every = every_query()
    for part in promql.Part:
        assert f'"{promql.PART_LABEL}", "{part.value}"' in " ".join(every), part


def test_queries_use_catalogue_names_only() -> None:
    known = catalogue.sample_names()
    for query in every_query():
        names = set(re.findall(r"\bmechamental_\w+", query))
        assert names, query
        assert names <= known, names - known


def test_every_aggregation_drops_job_and_instance(history_prometheus: PrometheusServer) -> None:
    for query in every_query()[:3]:
        assert "instance" not in query and "job" not in query
    # ws-a02 is scraped by two jobs: the façade's per-workspace reads see one series each.
    scope = promql.Scope("org-alpha", "ws-a02")
    result = history_prometheus.query(promql.tagged(promql.workspace_parts(scope)), at=END)
    executions = [r for r in result if r["metric"].get(promql.PART_LABEL) == promql.Part.EXECUTIONS]
    assert len(executions) == 1
    assert set(executions[0]["metric"]) == {"workspace_id", promql.PART_LABEL}


@on_every_store
def test_every_query_parses_and_runs(
    history_store: PrometheusServer | VictoriaMetricsServer,
) -> None:
    for query in every_query():
        history_store.query(query, at=END)  # fails unless the answer is a success
