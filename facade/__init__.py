"""The analytics REST façade: the MechaMental analytics API answered from Prometheus."""

from facade.app import create_app
from facade.config import ConfigError, FacadeConfig, load_config

__all__ = ["ConfigError", "FacadeConfig", "create_app", "load_config"]
