"""Build step: the repository's prometheus/ directory goes into the `stack` package of the wheel.

`mm-analytics up` then finds prometheus.yml, remote_write.yml, alertmanager.yml and rules/ in an
installed wheel (`stack/prometheus/`, see stack/prometheus_files.py) while the repository keeps
one copy of them, the one docker-compose, the Makefile and the tests read. Everything else is in
pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "prometheus"
PACKAGED = ("prometheus.yml", "remote_write.yml", "alertmanager.yml", "rules/*.yml")


class BuildPyWithPrometheusFiles(build_py):
    """build_py that also copies the Prometheus and Alertmanager files into `stack/prometheus/`."""

    def run(self) -> None:
        """Build the packages, then add the files."""
        super().run()
        target = Path(self.build_lib) / "stack" / "prometheus"
        for pattern in PACKAGED:
            for source in sorted(SOURCE.glob(pattern)):
                destination = target / source.relative_to(SOURCE)
                self.mkpath(str(destination.parent))
                self.copy_file(str(source), str(destination))


setup(cmdclass={"build_py": BuildPyWithPrometheusFiles})
