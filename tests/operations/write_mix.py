"""The clinic's writes for the kill -9 drill (test_crash_safety.py), as people make them over HTTP.

Each kind of write has its own list of targets, made before the server starts, and one person
working through them: every target is written once and never retried, so a write that was
applied twice can only be the server's doing. A write is *acknowledged* when the server said it
was kept (its redirect, or the portal's 200); it is *cut off* when the connection broke first.

- ``register``: a new patient (family name unique to the write);
- ``assess``: a questionnaire typed in from paper (one follow-up, region and instrument);
- ``qc``: a QC result for a lot (IL-1Ra, a value unique to the write; a repeat gives its reason);
- ``give``: the bedside sequence of one session: issue, thaw, then the injection signed by the
  operator and a second verifier (each with a fresh authenticator code);
- ``answer``: one answer on the patient's own link (item and value).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from django_otp.oath import TOTP

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LETTERS = "bcdfghklmnprstvwz"
ERRORS = re.compile(r'class="(?:error|flash flash-error)"[^>]*>(?:<div[^>]*>)?([^<]+)')


def family_name(n: int) -> str:
    """A family name no one else has, of letters only (the name fields refuse digits)."""
    text = ""
    while True:
        n, digit = divmod(n, len(LETTERS))
        text += LETTERS[digit]
        if n == 0:
            return "Crash" + text


def code_of(key: bytes) -> str:
    """The authenticator code a signer would type now."""
    return f"{TOTP(key).token():06d}"


@dataclass
class Write:
    """One write: the page that carries its form, where it is posted, and what it says."""

    kind: str
    key: Any  # how the check afterwards finds it
    page: str
    url: str
    data: Callable[[], dict[str, Any]]
    session: str  # the writer's session cookie ("" for the patient's link)
    ok: Callable[[requests.Response], bool]
    before: list[Write] = field(default_factory=list)  # steps that must come first (bedside)


def redirected(answer: requests.Response) -> bool:
    return answer.status_code == 302


def kept(answer: requests.Response) -> bool:
    return answer.status_code == 200 and "Saved" in answer.text


class Outcome:
    """What each writer was told, per kind."""

    def __init__(self) -> None:
        self.acknowledged: dict[str, list[Any]] = {}
        self.cut_off: dict[str, list[Any]] = {}
        self.refused: dict[str, list[tuple[Any, int, list[str]]]] = {}

    def count(self, kind: str) -> tuple[int, int, int]:
        return (
            len(self.acknowledged.get(kind, [])),
            len(self.cut_off.get(kind, [])),
            len(self.refused.get(kind, [])),
        )


def post(http: requests.Session, base: str, write: Write) -> tuple[str, requests.Response | None]:
    """GET the form (for its CSRF token), then POST it once: "ack", "refused", "cut" or "down"
    (nothing was sent: the server was not answering)."""
    try:
        form = http.get(base + write.page, timeout=10)
    except requests.RequestException:
        return "down", None
    token = CSRF.search(form.text)
    if form.status_code != 200 or token is None:
        return "down", None
    try:
        answer = http.post(
            base + write.url,
            data={"csrfmiddlewaretoken": token.group(1), **write.data()},
            headers={"Referer": base + write.page},
            timeout=15,
            allow_redirects=False,
        )
    except requests.RequestException:
        return "cut", None
    if answer.status_code >= 500:
        return "cut", answer
    return ("ack" if write.ok(answer) else "refused"), answer


def work(
    writes: Iterator[Write],
    base: Callable[[], str],
    outcome: Outcome,
    lock: Any,
    stopped: Callable[[], bool],
    pause: Callable[[], None],
    cookie: str,
) -> None:
    """One person working through their writes until told to stop. A write whose form could
    not be fetched is tried again (nothing was sent); one that was sent is never repeated, but
    for the bedside steps before it."""
    http, signed = requests.Session(), ""
    for write in writes:
        if write.session != signed:  # another person at the screen: a browser of their own
            http, signed = requests.Session(), write.session
            http.cookies.set(cookie, write.session)
        for step in [*write.before, write]:
            while not stopped():
                result, answer = post(http, base(), step)
                # A bedside step whose answer never came is clicked again, as a nurse would;
                # the unit's states refuse a step taken twice.
                if result == "down" or (result == "cut" and step is not write):
                    pause()
                    continue
                break
            else:
                return
            if step is write:
                with lock:
                    if result == "ack":
                        outcome.acknowledged.setdefault(write.kind, []).append(write.key)
                    elif result == "cut":
                        outcome.cut_off.setdefault(write.kind, []).append(write.key)
                    else:
                        status = answer.status_code if answer is not None else 0
                        why = ERRORS.findall(answer.text) if answer is not None else []
                        outcome.refused.setdefault(write.kind, []).append((write.key, status, why))
        if stopped():
            return
