"""What the views need from the app: services, authenticator, clock and metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from facade.auth import Authenticator
from facade.config import FacadeConfig
from facade.details import DetailService
from facade.inventory import InventoryService
from facade.prometheus import PrometheusClient
from facade.telemetry import FacadeMetrics
from facade.timeseries import ExecutionSeriesService

EXTENSION = "mechamental_facade"


@dataclass(frozen=True)
class FacadeState:
    """The objects one app instance is built from (see `facade.app.create_app`)."""

    config: FacadeConfig
    clock: Callable[[], float]
    client: PrometheusClient
    authenticator: Authenticator
    inventory: InventoryService
    series: ExecutionSeriesService
    details: DetailService
    metrics: FacadeMetrics
    openapi: dict[str, Any]


def state() -> FacadeState:
    """The state of the app handling the current request."""
    found: FacadeState = current_app.extensions[EXTENSION]
    return found
