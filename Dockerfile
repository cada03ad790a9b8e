# The Python services of the stack (exporter, façade, sandbox) in one image:
#   docker run mechamental-analytics:0.1.0 <sandbox|exporter|facade|token> [options]
# Settings come from EXPORTER_*, FACADE_* and SANDBOX_* environment variables.
FROM python:3.11.9-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md ./
# setup.py packages prometheus.yml, alertmanager.yml and rules/ into `stack` for `mm-analytics up`.
COPY prometheus ./prometheus
COPY exporter ./exporter
COPY facade ./facade
COPY sandbox ./sandbox
COPY stack ./stack
COPY vocabulary ./vocabulary
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /var/lib/mechamental mechamental \
    && mkdir -p /var/lib/mechamental/ledger /var/lib/mechamental/sandbox \
    && chown -R mechamental:mechamental /var/lib/mechamental

# Named volumes mounted below /var/lib/mechamental start out owned by this user.
USER mechamental
WORKDIR /var/lib/mechamental
ENTRYPOINT ["mm-analytics"]
CMD ["--help"]
