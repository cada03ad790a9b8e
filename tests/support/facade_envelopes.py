"""The spec's error bodies and a check that an answer follows them key by key."""

from __future__ import annotations

from typing import Any

from werkzeug.test import TestResponse

PINNED_TIMESTAMP = "2025-03-20T10:37:30.000000"  # the app's clock: END, in the spec's format
SUMMARY = "/v1/orgs/org-alpha/workspaces/ws-a01/analytics"
HOURLY = f"{SUMMARY}/executions/hourly"
DAILY = f"{SUMMARY}/executions/daily"

# The spec's example bodies (analytics-api-reference.txt), the contract with existing clients.
SPEC_EXAMPLES: dict[int, dict[str, Any]] = {
    401: {
        "error": "AUTHENTICATION_FAILED",
        "message": "Authentication required",
        "details": {},
        "timestamp": "2025-01-01T00:00:00.000000",
        "status_code": 401,
    },
    403: {
        "error": "FORBIDDEN",
        "message": "You don't have permission to perform this action",
        "details": {"required_permission": "resource:action"},
        "timestamp": "2025-01-01T00:00:00.000000",
        "status_code": 403,
    },
    404: {
        "error": "RESOURCE_NOT_FOUND",
        "message": "The requested resource was not found",
        "details": {"resource_type": "example", "resource_id": "xxx"},
        "timestamp": "2025-01-01T00:00:00.000000",
        "status_code": 404,
    },
}
SPEC_422_ITEM_KEYS = ["loc", "msg", "type", "input", "ctx"]


def assert_envelope(response: TestResponse, status: int, **details: Any) -> dict[str, Any]:
    """The body has the spec example's keys in order, its error and message, and `details`."""
    body = response.get_json()
    assert response.status_code == status
    assert response.content_type == "application/json"
    example = SPEC_EXAMPLES.get(status)
    assert list(body) == ["error", "message", "details", "timestamp", "status_code"]
    assert body["timestamp"] == PINNED_TIMESTAMP
    assert body["status_code"] == status
    if example is not None:
        assert body["error"] == example["error"]
        assert set(body["details"]) == set(example["details"])
        if status != 401:
            assert body["message"] == example["message"]
    for key, value in details.items():
        assert body["details"][key] == value, key
    return body
