"""The sandbox platform for tests: `mm-analytics sandbox` on a free loopback port, and its controls.

Ground truth, stream settings, fault injection and request counts are read and changed through the
sandbox's own `/_sandbox/` control endpoints, so a test sees exactly what a client of the
platform would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from stack.supervisor import ManagedProcess, free_port, python_command


class SandboxServer:
    """A sandbox platform process with its SQLite database and log under `workdir`."""

    def __init__(
        self,
        workdir: Path,
        *,
        seed: int = 7,
        orgs: int = 3,
        workspaces: int = 8,
        rate: float = 0.0,
        failure_ratio: float = 0.1,
        stream: bool = False,
        token: str = "sandbox-token",
        api_call_ratio: float = 0.3,
        history_days: int = 0,
        late_ratio: float = 0.0,
        boundary_cluster: float = 0.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        self._configured_token = token
        self.db_path = workdir / "sandbox.db"
        self.log_path = workdir / "sandbox.log"
        options = {
            "host": "127.0.0.1",
            "port": self.port,
            "db": self.db_path,
            "seed": seed,
            "orgs": orgs,
            "workspaces": workspaces,
            "token": token,
            "rate": rate,
            "failure-ratio": failure_ratio,
            "api-call-ratio": api_call_ratio,
            # Tests start with no past and every record on time unless they ask otherwise.
            "history-days": history_days,
            "late-ratio": late_ratio,
            "boundary-cluster": boundary_cluster,
        }
        args = [
            "sandbox",
            *(f"--{name}={value}" for name, value in options.items()),
            *([] if stream else ["--no-stream"]),
            *extra_args,
        ]
        workdir.mkdir(parents=True, exist_ok=True)
        self.process = ManagedProcess(
            "sandbox",
            python_command(*args),
            log_path=self.log_path,
            # Only the arguments decide; stray SANDBOX_* flags in the environment must not.
            env={"SANDBOX_NO_STREAM": "false", "SANDBOX_RESET": "false"},
            ready_url=f"{self.url}/healthz",
        )
        self._session = requests.Session()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> SandboxServer:
        """Start the process (continuing an existing database) and wait until it answers."""
        self.token = self._configured_token  # a renewal lasts only as long as the process
        self.process.start(ready_timeout=timeout)
        return self

    def stop(self) -> int | None:
        """SIGTERM the process and return its exit status; the database stays on disk."""
        status = self.process.stop()
        self._session.close()
        return status

    def kill(self) -> None:
        """SIGKILL the process (its log is closed too, so `start()` may follow)."""
        self.process.kill()
        self.process.stop()  # the process is gone already; this closes its log file
        self._session.close()

    # -- the platform API, as a client sees it -------------------------------------------------

    def get(self, path: str, token: str | None = None, **params: Any) -> requests.Response:
        """GET a platform path (e.g. `/v1/orgs/x/workspaces`) with the Bearer token."""
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        return self._session.get(f"{self.url}{path}", params=params, headers=headers, timeout=30)

    # -- controls -------------------------------------------------------------------------------

    def _control(self, method: str, name: str, body: Any = None) -> Any:
        response = self._session.request(
            method, f"{self.url}/_sandbox/{name}", json=body, timeout=30
        )
        assert response.status_code == 200, (method, name, response.status_code, response.text)
        return response.json()

    def truth(self) -> dict[str, Any]:
        """The exact ground truth, read in one transaction (see `/_sandbox/truth`)."""
        return dict(self._control("GET", "truth"))

    def org_ids(self) -> list[str]:
        """The ids of the seeded orgs."""
        return list(self._control("GET", "orgs")["org_ids"])

    def stream(self) -> dict[str, Any]:
        """The activity stream's settings."""
        return dict(self._control("GET", "stream"))

    def set_stream(self, **settings: Any) -> dict[str, Any]:
        """Merge stream settings (running, rate, failure_ratio, api_call_ratio,
        workspace_failure_ratios) and return the new ones."""
        return dict(self._control("PUT", "stream", settings))

    def faults(self) -> dict[str, Any]:
        """The faults in force."""
        return dict(self._control("GET", "faults"))

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """Merge faults and return the faults in force; None resets one. Keys (see
        `sandbox.faults`): latency_ms, error_rate, rate_limit={"rate", "retry_after"}, hang_ms,
        malformed_rate, vanish_workspace, page_repeat, page_skip, endless_cursor, total_mismatch,
        huge_page={"factor", "padding_bytes"}, slow_drip_ms, wrong_content_type, token_expiry,
        paths."""
        return dict(self._control("PUT", "faults", faults))

    def set_token(self, new: str) -> None:
        """Renew the platform's service token (ending a `token_expiry` fault); `get()` then
        sends the new token, and the old one is refused."""
        self._control("PUT", "token", {"token": new})
        self.token = new

    def clear_faults(self) -> None:
        """Remove every fault (a workspace that already vanished stays gone)."""
        self._control("DELETE", "faults")

    def requests_seen(self) -> dict[str, Any]:
        """Platform requests received: total, by_route, by_status, by_route_status, recent."""
        return dict(self._control("GET", "requests"))

    def reset_requests(self) -> None:
        """Forget the platform requests received so far."""
        self._control("DELETE", "requests")

    def insert_executions(
        self, workspace_id: str, count: int, failed: bool | int = False
    ) -> dict[str, Any]:
        """Insert exactly `count` execution records now; `failed` is True (all fail), False
        (none fail) or how many of them fail. Returns `{"inserted", "failed", "ids"}`."""
        body = {"workspace_id": workspace_id, "count": count, "failed": failed}
        return dict(self._control("POST", "executions", body))
