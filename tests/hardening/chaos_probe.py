"""A client of the façade during the chaos: it asks for workspace summaries the whole time and
records every answer, so the suite can check what clients saw while parts were being killed."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

import requests


@dataclass(frozen=True)
class Answer:
    """One answer (status None: the façade was not reachable)."""

    workspace: tuple[str, str]
    status: int | None
    body: dict | None


@dataclass
class FacadeProbe:
    """A thread that asks for a random workspace summary every `pause` seconds."""

    base_url: str
    tokens: dict[str, str]
    workspaces: list[tuple[str, str]]
    seed: int
    pause: float = 0.25
    answers: list[Answer] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> FacadeProbe:
        """Start asking."""
        self._thread = threading.Thread(target=self._run, name="facade-probe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> list[Answer]:
        """Stop asking; returns every answer."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(30)
        return self.answers

    def _run(self) -> None:
        rng = random.Random(self.seed)
        with requests.Session() as session:
            while not self._stopping.wait(self.pause):
                org, workspace = rng.choice(self.workspaces)
                path = f"/v1/orgs/{org}/workspaces/{workspace}/analytics"
                headers = {"Authorization": f"Bearer {self.tokens[org]}"}
                try:
                    response = session.get(self.base_url + path, headers=headers, timeout=10)
                except requests.RequestException:
                    self.answers.append(Answer((org, workspace), None, None))
                    continue
                try:
                    body = response.json()
                except ValueError:
                    body = {"not_json": response.text[:500]}
                self.answers.append(Answer((org, workspace), response.status_code, body))
