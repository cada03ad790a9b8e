"""Shard k of N: every configured org in exactly one shard, the same one on every run."""

from __future__ import annotations

import pytest

from exporter.config import ConfigError, load_config
from exporter.shards import MAX_SHARDS, Shard, parse_shard, shard_number

ORGS = tuple(f"org-{number:04d}" for number in range(1000))
BASE_ENV = {"EXPORTER_PLATFORM_URL": "http://platform.test", "EXPORTER_PLATFORM_TOKEN": "t"}


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 16])
def test_every_org_is_in_exactly_one_shard(count: int) -> None:
    shards = [Shard(index, count).select(ORGS) for index in range(1, count + 1)]
    owned = [org for shard in shards for org in shard]
    assert sorted(owned) == sorted(ORGS)
    assert len(set(owned)) == len(ORGS)
    # The hash spreads 1,000 ids evenly enough: no shard holds twice its fair share.
    assert max(len(shard) for shard in shards) < 2 * len(ORGS) / count


def test_the_assignment_depends_on_the_id_alone() -> None:
    """Stable across runs and list orders: pinned values of the documented SHA-256 rule."""
    assert [shard_number(org, 4) for org in ("org-alpha", "org-01", "org-02", "org-04")] == [
        2,
        1,
        3,
        1,
    ]
    shard = Shard(2, 4)
    assert shard.select(reversed(ORGS)) == tuple(reversed(shard.select(ORGS)))
    # Adding orgs moves none of the others.
    assert shard.select(ORGS[:500]) == tuple(org for org in shard.select(ORGS) if org in ORGS[:500])


@pytest.mark.parametrize(
    ("text", "expected"), [("2/4", Shard(2, 4)), (" 1/1 ", Shard(1, 1)), ("4/4", Shard(4, 4))]
)
def test_parse_shard(text: str, expected: Shard) -> None:
    assert parse_shard(text) == expected
    assert str(expected) == text.strip()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2", "must be k/N"),
        ("a/4", "must be k/N"),
        ("-1/4", "must be k/N"),
        ("0/4", "between 1 and N (4)"),
        ("5/4", "between 1 and N (4)"),
        ("1/0", f"between 1 and {MAX_SHARDS}"),
        (f"1/{MAX_SHARDS + 1}", f"between 1 and {MAX_SHARDS}"),
    ],
)
def test_bad_shards_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_shard(text)


def test_a_shard_narrows_the_configured_orgs(tmp_path) -> None:
    path = tmp_path / "exporter.yml"
    path.write_text("org_ids: [org-alpha, org-01, org-02, org-04]\nshard: 1/4\n")
    config = load_config(path, BASE_ENV)
    assert config.shard == Shard(1, 4)
    assert config.org_ids == ("org-01", "org-04")
    from_env = load_config(path, {**BASE_ENV, "EXPORTER_SHARD": "3/4"})
    assert from_env.org_ids == ("org-02",)
    from_flag = load_config(path, BASE_ENV, {"shard": "2/4"})
    assert from_flag.org_ids == ("org-alpha",)


def test_shard_problems_are_reported_with_the_others() -> None:
    env = {**BASE_ENV, "EXPORTER_ORG_IDS": "org-02", "EXPORTER_SHARD": "1/4"}
    with pytest.raises(ConfigError) as raised:
        load_config(None, {**env, "EXPORTER_CONCURRENCY": "0"})
    assert raised.value.problems == [
        "concurrency (from EXPORTER_CONCURRENCY): must be between 1 and 64",
        "shard 1/4 owns none of the 1 org ids; list more orgs or use fewer shards",
    ]
    with pytest.raises(ConfigError) as raised:
        load_config(None, {**env, "EXPORTER_SHARD": "9/4"})
    assert raised.value.problems == [
        "shard (from EXPORTER_SHARD): the shard k must be between 1 and N (4)"
    ]
