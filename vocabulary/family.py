"""The shape of a metric family and the label sets the catalogue builds families from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PREFIX = "mechamental_"

Kind = Literal["gauge", "counter", "histogram"]
Component = Literal["exporter", "facade"]

WS = ("org_id", "workspace_id")
APP = (*WS, "app_id")
NS = (*APP, "namespace_id")


@dataclass(frozen=True)
class Family:
    """One metric family: its name without the `_total` suffix of counters, type, labels, HELP."""

    name: str
    kind: Kind
    labels: tuple[str, ...]
    help: str
    component: Component = "exporter"

    @property
    def sample_name(self) -> str:
        """The name the samples of this family carry (counters end in `_total`)."""
        return f"{self.name}_total" if self.kind == "counter" else self.name

    @property
    def sample_names(self) -> tuple[str, ...]:
        """Every series name the family exposes."""
        if self.kind == "histogram":
            return tuple(f"{self.name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
        return (self.sample_name,)


def family(name: str, kind: Kind, labels: tuple[str, ...], help_text: str) -> Family:
    """An exporter family named `PREFIX + name`."""
    return Family(PREFIX + name, kind, labels, help_text)
