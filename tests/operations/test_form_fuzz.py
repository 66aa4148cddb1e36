"""The form fuzzer: every HTML form a role can open, posted with bad values.

Each page every role reaches is opened as that role (the role-matrix world: a patient, a course,
a lot, an invoice, ...), and every POST form on it is collected with its fields. Each form is
then posted again and again: every field empty; each text field alone at 1 MB; every field with
a NUL byte, a wrong type, a date far in the future and one far in the past. The targets are:

* no answer is a server error;
* a form that comes back refused names its fields: the page's "correct the fields marked below"
  has a message beside at least one field;
* nothing saved is lost: every record of the world is still there, and the audit chain verifies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve

from autologic.accounts.roles import Gate, Role, allows, rule_for
from autologic.audit.queries import verify
from autologic.patients.models import Patient
from tests.accounts.test_role_matrix import ROUTES, concrete, world  # noqa: F401 - the fixture
from tests.conftest import signed_in

HUGE = "A" * 1_000_000
BAD = {
    "nul": lambda kind: "ab\x00cd",
    "wrong type": lambda kind: "1e999" if kind in {"text", "textarea", "email", "tel"} else "abc",
    "far future": lambda kind: "9999-12-31T23:59" if kind == "datetime-local" else "9999-12-31",
    "far past": lambda kind: "0001-01-01T00:00" if kind == "datetime-local" else "0001-01-01",
}
TEXTLIKE = {"text", "textarea", "email", "tel", "search", "url", "password", "number"}
# Forms whose post ends a session or removes a second factor (the fuzzing users' own among
# them), or only switches the language: not fuzzed.
SKIP_ACTIONS = {"accounts:logout", "set_language", "accounts:staff_reset_otp"}


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, kind, value)


class Forms(HTMLParser):
    """The POST forms of a page, with each field's name, kind and rendered value."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page, self.found, self.form = page, [], None  # type: ignore[var-annotated]
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.form = Form(urljoin(self.page, a.get("action") or self.page))
            self.found.append(self.form)
        elif self.form is None or not a.get("name"):
            return
        elif tag == "input" and a.get("type", "text") not in {"submit", "button", "file"}:
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.form.fields.append((a["name"], kind, a.get("value", "")))
        elif tag == "select":
            self.select = a["name"]
            self.form.fields.append((a["name"], "select", ""))
        elif tag == "textarea":
            self.textarea = a["name"]
            self.form.fields.append((a["name"], "textarea", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def forms_on(html: str, page: str) -> list[Form]:
    parser = Forms(page)
    parser.feed(html)
    return parser.found


def variants(form: Form) -> Iterator[tuple[str, dict[str, str]]]:
    """The bad posts of one form, each with its name."""
    fields = [(n, k, v) for n, k, v in form.fields if n != "csrfmiddlewaretoken"]
    yield "empty", {n: "" for n, _k, _v in fields}
    for name, kind, _value in fields:
        if kind in TEXTLIKE:
            yield f"1 MB in {name}", {n: (HUGE if n == name else v) for n, _k, v in fields}
    for label, make in BAD.items():
        yield label, {n: make(k) for n, k, _v in fields}


def _role_for(name: str) -> Role | None:
    rule = rule_for(name, "GET")
    if rule is None or isinstance(rule, Gate):
        return None
    return next((role for role in Role if allows(rule, role)), None)


def _post_name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


@pytest.mark.slow
@pytest.mark.django_db
def test_every_form_survives_bad_values_and_names_the_fields_it_refuses(world):  # noqa: F811
    staff, ids = world
    clients = {role: signed_in(staff[role]) for role in Role}
    patients_before = set(Patient.objects.values_list("pk", flat=True))
    seen: dict[tuple[str, tuple[str, ...]], tuple[Role, Form]] = {}
    for name, route in ROUTES:
        role = _role_for(name)
        if role is None or "<" in route and not all(part in ids for part in _converters(route)):
            continue
        page = concrete(route, ids)
        response = clients[role].get(page)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for form in forms_on(response.content.decode(), page):
            target = _post_name(form.action)
            if target is None or target in SKIP_ACTIONS:
                continue
            post_rule = rule_for(target, "POST")
            if post_rule is None or isinstance(post_rule, Gate) or not allows(post_rule, role):
                continue
            key = (urlsplit(form.action).path, tuple(sorted(n for n, _k, _v in form.fields)))
            seen.setdefault(key, (role, form))
    assert len(seen) >= 30, f"only {len(seen)} forms found: the walk lost its way"
    posts, refused, errors, unnamed, lost = 0, 0, [], [], []
    for (path, _names), (role, form) in sorted(seen.items(), key=lambda item: item[0]):
        for label, data in variants(form):
            response = clients[role].post(path, data)
            posts += 1
            if response.status_code >= 500:
                errors.append((path, label, response.status_code))
                continue
            if response.status_code == 302 and response["Location"].startswith("/accounts/"):
                lost.append((path, label, response["Location"]))  # the walk lost its login
                continue
            body = response.content.decode(errors="replace") if response.content else ""
            if "flash-error" in body and "Please correct the fields marked below." in body:
                refused += 1
                if 'class="error" id="' not in body and 'data-field="' not in body:
                    unnamed.append((path, label))
    assert errors == [], errors
    assert unnamed == [], unnamed
    assert lost == [], lost
    assert posts >= 250 and refused >= 150, (posts, refused)
    # Nothing saved was lost: every patient is still there, and the trail verifies.
    assert patients_before <= set(Patient.objects.values_list("pk", flat=True))
    chain = verify()
    assert chain.ok, chain.reason
    print(
        f"form fuzz: {len(seen)} forms, {posts} posts, {refused} refused naming a field, 0 errors"
    )


def _converters(route: str) -> list[str]:
    import re

    return re.findall(r"<(?:\w+:)?(\w+)>", route)
