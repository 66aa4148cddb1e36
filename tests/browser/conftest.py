"""Playwright driving Debian's Chromium (no browser downloads)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db.models.signals import post_save
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.phi import PORTAL_TOKEN, Kept, phi_found, phi_values

CHROMIUM = os.environ.get("AUTOLOGIC_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("AUTOLOGIC_SCREENSHOTS", "var/screenshots"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make test`, which installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


# The patient data a browser test made or used, looked for in its logs (tests/browser/phi.py).
REMEMBERED: set[str] = set()
# Over the run (per process): tests checked, log records read, values looked for, found.
TALLY = {"tests": 0, "records": 0, "values": 0, "found": 0}


def _patient_saved(sender, instance, **kwargs) -> None:  # noqa: ANN001
    REMEMBERED.update(
        phi_values(
            instance.family_name, instance.given_name, instance.mrn, instance.phone, instance.email
        )
    )


def _message_saved(sender, instance, **kwargs) -> None:  # noqa: ANN001
    REMEMBERED.update(PORTAL_TOKEN.findall(instance.body))
    REMEMBERED.update(phi_values(instance.to))


@pytest.fixture(autouse=True)
def no_patient_data_in_logs() -> Iterator[None]:
    """Every browser test: nothing it logged holds a patient's name, MRN, phone, e-mail or
    portal token (the logs are read at INFO, as production writes them with LOG_LEVEL=INFO)."""
    from autologic.outbox.models import Message
    from autologic.patients.models import Patient

    REMEMBERED.clear()
    post_save.connect(_patient_saved, sender=Patient, dispatch_uid="phi-patient")
    post_save.connect(_message_saved, sender=Message, dispatch_uid="phi-message")
    kept = Kept()
    root, server = logging.getLogger(), logging.getLogger("django.server")
    level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(kept)
    server.addHandler(kept)
    try:
        yield
    finally:
        root.removeHandler(kept)
        server.removeHandler(kept)
        root.setLevel(level)
        post_save.disconnect(sender=Patient, dispatch_uid="phi-patient")
        post_save.disconnect(sender=Message, dispatch_uid="phi-message")
    found = phi_found(kept.lines, REMEMBERED)
    TALLY["tests"] += 1
    TALLY["records"] += len(kept.lines)
    TALLY["values"] += len(REMEMBERED)
    TALLY["found"] += len(found)
    assert not found, f"patient data in the logs: {found}"


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if TALLY["tests"]:
        terminalreporter.write_line(
            "patient data in logs: {tests} browser tests, {records} log records read, "
            "{values} values looked for, {found} found".format(**TALLY)
        )


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    # A portal token the browser opens is looked for in the logs too.
    context.on("request", lambda request: REMEMBERED.update(PORTAL_TOKEN.findall(request.url)))
    page = context.new_page()
    yield page
    context.close()


def shot(page: Page, name: str) -> None:
    """Keep a screenshot of what the user saw, for review."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
