"""A search sent by POST (``<Type>/_search``) keeps its parameters out of every URL: the client
posts them as a form, and the ``next`` link carries them sealed in ``_page`` (encrypted, for the
same client, for an hour).  Paged through, it gives what the GET search gives."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from autologic.common.domain.errors import BadQuery
from autologic.interop import paging
from tests.interop.test_fhir_api import many_patients

pytestmark = pytest.mark.django_db
BASE = "http://127.0.0.1:8000"


def post(fhir, path: str, form: dict | str, content_type="application/x-www-form-urlencoded"):
    from urllib.parse import urlencode

    body = form if isinstance(form, str) else urlencode(form, doseq=True)
    return fhir.http.post(
        path, body, content_type=content_type, headers={"Authorization": f"Bearer {fhir.token}"}
    )


def ids(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def test_a_posted_search_pages_like_get_without_its_parameters_in_any_url(
    fhir, site, physician
) -> None:
    made = many_patients(site, physician, 7)
    mrns = [p.mrn for p in made[:5]]
    wanted = {"identifier": ",".join(mrns), "_count": "2"}
    answer = post(fhir, "/fhir/Patient/_search", wanted)
    assert answer.status_code == 200, answer.content
    page = orjson.loads(answer.content)
    seen, urls = [], []
    while True:
        seen += ids(page)
        urls += [link["url"] for link in page["link"]]
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        if not following:
            break
        query = parse_qs(urlsplit(following[0]).query)
        assert list(query) == ["_page"]
        page = fhir.json(following[0].removeprefix(BASE))
    assert seen == [str(p.pk) for p in made[:5]]
    assert not [u for u in urls for mrn in mrns if mrn in u]  # no MRN in any link
    assert urls[0] == f"{BASE}/fhir/Patient/_search"
    by_get = fhir.json("/fhir/Patient", {"identifier": ",".join(mrns), "_count": "10"})
    assert ids(by_get) == seen


def test_a_page_link_is_refused_when_changed_or_another_clients(
    fhir, fhir_for, site, physician
) -> None:
    many_patients(site, physician, 3)
    page = orjson.loads(post(fhir, "/fhir/Patient/_search", {"_count": "1"}).content)
    link = next(x["url"] for x in page["link"] if x["relation"] == "next")
    token = parse_qs(urlsplit(link).query)["_page"][0]

    def refused(client, value: str, **extra: str) -> dict:
        answer = client.get("/fhir/Patient", {"_page": value, **extra})
        assert answer.status_code == 400, answer.content
        issue = orjson.loads(answer.content)["issue"][0]
        return issue

    changed = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    assert refused(fhir, changed)["details"]["coding"][0]["code"] == "bad_page"
    assert refused(fhir_for(), token)["expression"] == ["_page"]  # another client
    assert refused(fhir, token, _count="5")["expression"] == ["_count"]  # alone, or not at all
    assert fhir.get("/fhir/Patient", {"_page": token}).status_code == 200


def test_a_sealed_page_holds_its_parameters_unreadably_for_an_hour(fixed_clock) -> None:
    now = fixed_clock.now()
    params = [("identifier", "P000123"), ("_cursor", "WzAsIDVd")]
    sealed = paging.seal(7, params, now)
    assert "P000123" not in sealed and "identifier" not in sealed
    assert paging.unseal(sealed, 7, now + timedelta(seconds=paging.PAGE_SECONDS - 1)) == params
    with pytest.raises(BadQuery):
        paging.unseal(sealed, 7, now + timedelta(seconds=paging.PAGE_SECONDS + 1))
    with pytest.raises(BadQuery):
        paging.unseal(sealed, 8, now)


def test_a_posted_search_wants_a_form_and_known_parameters(fhir) -> None:
    as_json = post(fhir, "/fhir/Patient/_search", '{"name": "x"}', "application/json")
    assert as_json.status_code == 400
    assert orjson.loads(as_json.content)["issue"][0]["expression"] == ["Content-Type"]
    unknown = post(fhir, "/fhir/Patient/_search", {"shoe_size": "44"})
    assert unknown.status_code == 400
    assert orjson.loads(unknown.content)["issue"][0]["expression"] == ["shoe_size"]
    assert post(fhir, "/fhir/Nothing/_search", {}).status_code == 404
    assert fhir.get("/fhir/Patient/_search").status_code == 405
