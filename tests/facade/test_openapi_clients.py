"""`/openapi.json` as SDK generators read it: openapi-python-client's models parse real answers,
openapi-typescript's types compile under `tsc --strict` in a program that reads an error's
details, Redocly's linter finds no error, and operationIds stay what SDKs are named after."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

from facade.state import EXTENSION
from facade.tokens import mint_token
from tests.facade.conftest import JWT_SECRET
from tests.support.node_tools import node_tools

# SDK functions are named after these: a renamed view must not rename them silently.
OPERATION_IDS = {
    "/v1/orgs/{org_id}/analytics": "org_analytics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics": "workspace_analytics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/resources": "resource_counts",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions": "execution_metrics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/hourly": "hourly_executions",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/daily": "daily_executions",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/weekly": "weekly_executions",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/monthly": (
        "monthly_executions"
    ),
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/analytics": "app_analytics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/namespaces/{namespace_id}/analytics": (
        "namespace_analytics"
    ),
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/actions": "action_analytics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/secrets": "secret_analytics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/sources": "source_analytics",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/latency": (
        "execution_latency"
    ),
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/tokens": "token_usage",
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/analytics/executions": (
        "app_executions"
    ),
    "/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/failures": "execution_failures",
    "/healthz": "healthz",
    "/readyz": "readyz",
    "/metrics": "metrics",
    "/openapi.json": "openapi",
}
TS_PROGRAM = """
import type { components, paths } from "./api";

type ErrorResponse = components["schemas"]["ErrorResponse"];
type ValidationError = components["schemas"]["HTTPValidationError"];
type Hourly =
  paths["/v1/orgs/{org_id}/workspaces/{workspace_id}/analytics/executions/hourly"]["get"];

export function describe(error: ErrorResponse): string {
  const resource: string | undefined = error.details.resource_type;
  const retry: number | undefined = error.details.retry_after;
  const extra: unknown = error.details["added_later"];
  const code: components["schemas"]["ErrorCode"] | string = error.error;
  return `${code} ${resource ?? ""} ${retry ?? ""} ${String(extra)}`;
}

export function lowest(error: ValidationError): number | undefined {
  return error.detail[0]?.ctx.ge;
}

export function firstCount(
  ok: Hourly["responses"][200]["content"]["application/json"],
): number {
  return ok.data[0]?.value ?? 0;
}
"""
# Proof that --strict checks: a possibly undefined key read as a string is refused.
TS_WRONG = """
import type { components } from "./api";
export const wrong = (e: components["schemas"]["ErrorResponse"]): string => e.details.resource_type;
"""


@pytest.fixture(scope="module")
def document(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The document the façade serves, written to a file."""
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(app.extensions[EXTENSION].openapi))
    return path


@pytest.fixture(scope="module")
def npm_bin() -> Path:
    """openapi-typescript, tsc and redocly, installed once."""
    return node_tools()


@pytest.fixture(scope="module")
def python_sdk(document: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The package openapi-python-client generates, imported."""
    parent = tmp_path_factory.mktemp("python-sdk")
    venv_bin = Path(sys.executable).parent
    done = subprocess.run(
        [
            *(str(venv_bin / "openapi-python-client"), "generate", "--path", str(document)),
            *("--output-path", str(parent / "mm_analytics_sdk"), "--meta", "none"),
        ],
        env={**os.environ, "PATH": f"{venv_bin}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in (done.stdout + done.stderr).lower(), done.stdout + done.stderr
    sys.path.insert(0, str(parent))
    try:
        yield importlib.import_module("mm_analytics_sdk")
    finally:
        sys.path.remove(str(parent))


def sdk_client(sdk: Any, app: Flask) -> Any:
    """The generated client, sending its requests to `app` in-process."""
    token = mint_token(JWT_SECRET, "org-alpha", ["analytics:*:view"], 600)
    client = sdk.AuthenticatedClient(base_url="http://facade", token=token)
    # The client's own httpx settings (its bearer header), through a transport into the app.
    client.set_httpx_client(
        httpx.Client(
            base_url="http://facade",
            headers={"Authorization": f"Bearer {token}"},
            transport=httpx.WSGITransport(app=app),
        )
    )
    return client


def test_operation_ids_are_pinned(app: Flask) -> None:
    paths = app.extensions[EXTENSION].openapi["paths"]
    found = {path: item["get"]["operationId"] for path, item in paths.items()}
    assert found == OPERATION_IDS  # a new operation is pinned when it is added


def test_the_document_is_written_for_generators(app: Flask) -> None:
    spec = app.extensions[EXTENSION].openapi
    assert spec["servers"] == [{"url": "/", "description": "The façade serving this document"}]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["bearerFormat"] == "JWT"
    assert schemes["apiKeyAuth"]["bearerFormat"] == "API key"
    schemas = spec["components"]["schemas"]
    for name, schema in schemas.items():
        assert schema.get("additionalProperties") is not False, name
        for key, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{key}"
    assert schemas["TimeSeries"]["properties"]["data"]["items"] == {
        "$ref": "#/components/schemas/Bucket"
    }
    detail = schemas["HTTPValidationError"]["properties"]["detail"]["items"]
    assert detail == {"$ref": "#/components/schemas/ValidationErrorItem"}
    assert "RESOURCE_NOT_FOUND" in schemas["ErrorCode"]["enum"]
    updated_at = schemas["WorkspaceAnalytics"]["properties"]["updated_at"]["description"]
    assert "last collected" in updated_at and "Last-Modified" in updated_at
    assert schemas["WorkspaceAnalytics"]["properties"]["workspace_id"]["examples"] == ["ws-a01"]
    assert schemas["ErrorResponse"]["properties"]["error"]["examples"] == ["RESOURCE_NOT_FOUND"]
    for path, item in spec["paths"].items():
        operation = item["get"]
        assert operation["description"], path
        for param in operation["parameters"]:
            assert param["description"] and param["schema"]["description"], (path, param)
        if "503" in operation["responses"]:
            assert "Retry-After" in operation["responses"]["503"]["headers"], path
        if operation["security"]:
            assert operation["x-required-permission"].startswith("analytics:"), path
            assert "Permission: analytics:" in operation["description"], path


def test_python_sdk_parses_real_answers(python_sdk: Any, app: Flask) -> None:
    from_api = importlib.import_module("mm_analytics_sdk.api.analytics")
    hourly = importlib.import_module("mm_analytics_sdk.api.analytics.hourly_executions")
    summary = importlib.import_module("mm_analytics_sdk.api.analytics.workspace_analytics")
    models = importlib.import_module("mm_analytics_sdk.models")
    assert from_api is not None
    client = sdk_client(python_sdk, app)
    series = hourly.sync(client=client, org_id="org-alpha", workspace_id="ws-a01", hours=5)
    assert isinstance(series, models.TimeSeries) and len(series.data) == 5
    assert all(isinstance(bucket.value, int) for bucket in series.data)
    answer = summary.sync_detailed(client=client, org_id="org-alpha", workspace_id="ws-a01")
    assert isinstance(answer.parsed, models.WorkspaceAnalytics)
    assert answer.headers["Last-Modified"].endswith(" GMT")
    missing = summary.sync(client=client, org_id="org-alpha", workspace_id="ws-nope")
    assert isinstance(missing, models.ErrorResponse)
    assert missing.error == models.ErrorCode.RESOURCE_NOT_FOUND
    assert missing.details.resource_type == "workspace"
    invalid = hourly.sync(client=client, org_id="org-alpha", workspace_id="ws-a01", hours=0)
    assert isinstance(invalid, models.HTTPValidationError)
    assert invalid.detail[0].ctx.ge == 1


def test_python_sdk_parses_real_detail_answers(python_sdk: Any, app: Flask) -> None:
    def operation(name: str) -> Any:
        return importlib.import_module(f"mm_analytics_sdk.api.analytics.{name}")

    models = importlib.import_module("mm_analytics_sdk.models")
    client = sdk_client(python_sdk, app)
    ws = {"org_id": "org-alpha", "workspace_id": "ws-a04"}
    latency = operation("execution_latency").sync(client=client, **ws, days=7)
    assert isinstance(latency, models.ExecutionLatency) and len(latency.data) == 7
    assert latency.count > 0 and latency.p50 <= latency.p99
    empty = operation("execution_latency").sync(
        client=client, org_id="org-alpha", workspace_id="ws-a01", hours=2
    )
    assert empty.count == 0 and empty.p50 is None
    tokens = operation("token_usage").sync(client=client, **ws, days=3)
    assert tokens.total == sum(tokens.by_kind.additional_properties.values())
    app_runs = operation("app_executions").sync(client=client, **ws, app_id="app-01", days=3)
    assert isinstance(app_runs, models.AppExecutions) and len(app_runs.data) == 3
    assert app_runs.success + app_runs.failed == app_runs.total > 0
    assert all(isinstance(p, models.PipelineExecutions) for p in app_runs.pipelines)
    failures = operation("execution_failures").sync(client=client, **ws, days=90)
    assert failures.total == sum(code.count for code in failures.codes)
    assert [code.error_code for code in failures.codes if code.overflow] == ["other"]


def test_typescript_types_compile_strict(document: Path, npm_bin: Path, tmp_path: Path) -> None:
    generate = [
        str(npm_bin / "openapi-typescript"),
        str(document),
        "-o",
        str(tmp_path / "api.d.ts"),
    ]
    done = subprocess.run(generate, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    (tmp_path / "main.ts").write_text(TS_PROGRAM)
    (tmp_path / "wrong.ts").write_text(TS_WRONG)
    compile_ = [str(npm_bin / "tsc"), "--strict", "--noEmit", "--skipLibCheck", "--lib", "es2020"]
    compile_ += ["--target", "es2020", "--module", "commonjs", "--moduleResolution", "node"]
    done = subprocess.run(
        [*compile_, "main.ts", "wrong.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    errors = [line for line in done.stdout.splitlines() if ": error TS" in line]
    # One tsc run for both: main.ts compiles, wrong.ts shows --strict at work.
    assert errors and all(line.startswith("wrong.ts(") for line in errors), done.stdout
    assert all("error TS2322" in line for line in errors), done.stdout


def test_redocly_lint_finds_no_error(document: Path, npm_bin: Path) -> None:
    done = subprocess.run(
        [str(npm_bin / "redocly"), "lint", str(document), "--format=json"],
        env={**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout[done.stdout.index("{") :])
    errors = [item for item in report["problems"] if item["severity"] == "error"]
    assert errors == [] and done.returncode == 0, errors
