"""The documentation pages in a real headless chromium: Swagger UI at /docs, ReDoc at /redoc.

The browser can reach nothing but loopback (its proxy for every other host is a closed port),
so the pages work offline from the façade's own assets. Both list every operation of the
OpenAPI document; Swagger UI's "Try it out", with a bearer token entered under "Authorize",
gets a 200 whose body is the history's truth. One browser serves the whole module.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.history_truth import HistoryTruth

WAIT = 60  # seconds for a page or an answer to show (generous: the machine may be busy)


def _binary(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: scripts/install-system-deps.sh installs it"
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Debian's chromium, headless, driven by its chromedriver; only loopback is reachable."""
    profile = tmp_path_factory.mktemp("chromium")
    options = Options()
    options.binary_location = _binary("chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests may run as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
        "--proxy-server=http://127.0.0.1:9",  # any host but loopback fails
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(_binary("chromedriver"), log_output=str(Path(profile) / "driver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def document(served: str) -> dict[str, Any]:
    """The served OpenAPI document."""
    found: dict[str, Any] = requests.get(f"{served}/openapi.json", timeout=10).json()
    return found


@pytest.fixture(scope="module")
def swagger_ui(browser: WebDriver, served: str, document: dict[str, Any]) -> WebDriver:
    """The browser showing /docs, every operation rendered (loaded once for the module)."""
    browser.get(f"{served}/docs")
    _wait_for(browser, ".opblock", len(_operations(document)))
    return browser


def _operations(document: dict[str, Any]) -> dict[str, str]:
    """Swagger UI's element id (`operations-<tag>-<operationId>`): path, for every operation
    of the document."""
    return {
        f"operations-{operation['tags'][0]}-{operation['operationId']}": path
        for path, item in document["paths"].items()
        for operation in item.values()
    }


def _wait_for(within: WebDriver | WebElement, css: str, count: int = 1) -> list[WebElement]:
    """The elements matching `css` in `within`, once there are at least `count` of them."""
    WebDriverWait(within, WAIT).until(
        lambda found: len(found.find_elements(By.CSS_SELECTOR, css)) >= count
    )
    return within.find_elements(By.CSS_SELECTOR, css)


def _loaded_only_from(browser: WebDriver, base: str) -> None:
    """Every resource the page loaded came from the façade; any other one was refused by the
    page's own policy before any request (ReDoc's sidebar names a logo on its vendor's site);
    nothing else went wrong."""
    entries = browser.execute_script(
        "return performance.getEntriesByType('resource')"
        ".map(entry => [entry.name, entry.responseStatus])"
    )
    loaded = [url for url, status in entries if status]
    assert loaded
    assert all(url.startswith(base + "/") for url in loaded), loaded
    log = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    refused = {url for url, status in entries if not status}
    by_policy = {
        url
        for url in refused
        for message in log
        if url in message and "violates the following Content Security Policy" in message
    }
    assert refused == by_policy
    problems = [
        message
        for message in log
        if "favicon.ico" not in message and not any(url in message for url in by_policy)
    ]
    assert problems == []


def test_swagger_ui_lists_every_operation(
    swagger_ui: WebDriver, served: str, document: dict[str, Any]
) -> None:
    operations = _operations(document)
    blocks = swagger_ui.find_elements(By.CSS_SELECTOR, ".opblock")
    shown = {
        block.get_attribute("id"): block.find_element(
            By.CSS_SELECTOR, ".opblock-summary-path"
        ).get_attribute("data-path")
        for block in blocks
    }
    assert shown == operations
    assert len(operations) == 21  # 17 analytics routes, health, readiness, metrics, document
    _loaded_only_from(swagger_ui, served)


def _fill(block: WebElement, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = block.find_element(By.CSS_SELECTOR, f"tr[data-param-name='{name}'] input")
        field.clear()
        field.send_keys(value)


def test_try_it_out_with_a_bearer_token_gets_200(
    swagger_ui: WebDriver, served: str, token: Callable[..., str], truth: HistoryTruth
) -> None:
    browser = swagger_ui
    browser.find_element(By.CSS_SELECTOR, ".auth-wrapper button.authorize").click()
    schemes = _wait_for(browser, ".modal-ux .auth-container")
    [bearer] = [s for s in schemes if "bearerAuth" in s.find_element(By.TAG_NAME, "h4").text]
    bearer.find_element(By.CSS_SELECTOR, "input").send_keys(token("org-beta"))
    bearer.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".modal-ux button.btn-done").click()

    block = browser.find_element(By.ID, "operations-Analytics-weekly_executions")
    block.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    _wait_for(browser, "#operations-Analytics-weekly_executions .try-out__btn")[0].click()
    _fill(block, {"org_id": "org-beta", "workspace_id": "ws-b03", "weeks": "13", "tz": "UTC"})
    block.find_element(By.CSS_SELECTOR, "button.execute").click()
    [status] = _wait_for(block, ".live-responses-table .response .response-col_status")
    assert status.text.strip() == "200"
    shown = block.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
    assert json.loads(shown)["data"] == truth.weekly("ws-b03", 13, ZoneInfo("UTC"))
    curl = block.find_element(By.CSS_SELECTOR, ".curl-command").text
    assert "Authorization: Bearer " in curl
    _loaded_only_from(browser, served)


def test_redoc_lists_every_operation(
    browser: WebDriver, served: str, document: dict[str, Any]
) -> None:
    operations = _operations(document)
    browser.get(f"{served}/redoc")
    sections = _wait_for(browser, "[data-section-id^='operation/']", len(operations))
    shown = {section.get_attribute("data-section-id") for section in sections}
    assert shown == {f"operation/{key.split('-', 2)[2]}" for key in operations}
    assert browser.find_element(By.CSS_SELECTOR, "h1").text.startswith("MechaMental Analytics")
    _loaded_only_from(browser, served)


def test_pages_and_assets_need_no_token_and_stay_out_of_the_document(
    served: str, document: dict[str, Any]
) -> None:
    for page in ("/docs", "/redoc"):
        response = requests.get(served + page, timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "script-src 'self';" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
    for name, kind in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("swagger-start.js", "text/javascript"),
        ("redoc.standalone.js", "text/javascript"),
    ]:
        asset = requests.get(f"{served}/docs/static/{name}", timeout=10)
        assert asset.status_code == 200
        assert asset.headers["Content-Type"] == f"{kind}; charset=utf-8"
        assert len(asset.content) > 100
    missing = requests.get(f"{served}/docs/static/..%2Fopenapi.json", timeout=10)
    assert (missing.status_code, missing.json()["error"]) == (404, "RESOURCE_NOT_FOUND")
    assert not any(path.startswith(("/docs", "/redoc")) for path in document["paths"])
