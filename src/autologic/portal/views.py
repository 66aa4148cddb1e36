"""The patient's side of the portal: reached by a tokenised link, with no login.

Every view resolves the token first; an unknown, expired or withdrawn token gets the same page,
so the answer never tells a guesser which of the three it was. Failed tokens are counted per
address (a guesser is slowed down, a valid token is still served), and each token per minute.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited

from autologic.clinical.models import AffectedRegion
from autologic.common import clock
from autologic.common.domain.errors import DomainError
from autologic.common.messages import message_for
from autologic.outcomes import actions as outcomes
from autologic.outcomes.domain import registry
from autologic.outcomes.models import Response
from autologic.portal import actions, domain, texts
from autologic.portal.models import Link

MISSES_PER_ADDRESS = "10/m"
REQUESTS_PER_LINK = "120/m"


def _link_key(_group: str, request: HttpRequest) -> str:
    return domain.token_hash(request.resolver_match.kwargs["token"])[:24]


def _resolve(request: HttpRequest, token: str) -> Link | HttpResponse:
    """The live link, or the page that explains why there is none.

    Failures are counted per address, but a valid token is always served (within its own
    per-link limit): patients behind one address must not pay for a guesser's misses."""
    if is_ratelimited(
        request, group="portal-link", key=_link_key, rate=REQUESTS_PER_LINK, increment=True
    ):
        return _page(request, "portal/slow_down.html", {}, status=429)
    link = actions.open_link(token, now=clock.now())
    if link is None:
        if is_ratelimited(
            request, group="portal-miss", key="ip", rate=MISSES_PER_ADDRESS, increment=True
        ):
            return _page(request, "portal/slow_down.html", {}, status=429)
        return _page(request, "portal/gone.html", {}, status=404)
    return link


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    language: str | None = None,
) -> HttpResponse:
    with translation.override(language or translation.get_language()):
        response = render(request, template, context, status=status)
    # The token must not leak to other sites; "no-referrer" would also blank the Origin of the
    # page's own form posts (Origin: null), which the CSRF check rightly refuses.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    # Django logs 4xx answers with their path, and the path holds the token: not here.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _forms(link: Link) -> list[dict[str, Any]]:
    """The link's questionnaires with their wording, progress and state."""
    regions = {r.pk: r for r in AffectedRegion.objects.filter(pk__in=[f[0] for f in link.forms])}
    saved = {
        (r.region_id, r.instrument): r
        for r in Response.objects.filter(appointment=link.appointment, patient=link.patient)
    }
    out = []
    for region_id, instrument_id in link.forms:
        region = regions[region_id]
        wording = texts.wording(link.site, instrument_id, link.language)
        response = saved.get((region_id, instrument_id))
        answers = response.answers if response else {}
        total = len(registry.get(instrument_id).items)
        out.append(
            {
                "region": region,
                "region_label": actions.region_label(region, link.language),
                "instrument": instrument_id,
                "title": wording.title if wording else instrument_id,
                "answered": sum(1 for v in answers.values() if v is not None),
                "total": total,
                "sent": bool(response and response.status == "submitted"),
                "response": response,
            }
        )
    return out


@never_cache
def home(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's list of questionnaires for this follow-up."""
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    forms = _forms(link)
    context = {
        "link": link,
        "token": token,
        "forms": forms,
        "all_sent": all(f["sent"] for f in forms),
    }
    return _page(request, "portal/home.html", context, language=link.language)


def _find(link: Link, region_id: int, instrument: str) -> dict[str, Any] | None:
    return next(
        (f for f in _forms(link) if f["region"].pk == region_id and f["instrument"] == instrument),
        None,
    )


def _parse(raw: str) -> int | None:
    raw = raw.strip()
    if raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # out of every range: the instrument names the item and the reason


def _entry(link: Link, found: dict[str, Any], answers: dict[str, int | None]) -> outcomes.Entry:
    return outcomes.Entry(
        instrument=found["instrument"],
        answers=answers,
        completed_on=clock.local_today(link.site.time_zone),
        language=link.language,
        mode="web",
        region=found["region"],
        appointment=link.appointment,
    )


@never_cache
def form(request: HttpRequest, token: str, region_id: int, instrument: str) -> HttpResponse:
    """One questionnaire: shows it, keeps answers (Save), or sends it (Send)."""
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    found = _find(link, region_id, instrument)
    if found is None:
        return _page(request, "portal/gone.html", {}, status=404, language=link.language)
    if found["sent"]:
        return redirect("portal:home", token=token)
    wording = texts.wording(link.site, instrument, link.language)
    if wording is None:  # the clinic withdrew the wording after the link went out
        return _page(request, "portal/gone.html", {}, status=404, language=link.language)
    wording = wording.with_region(found["region_label"])
    answers: dict[str, int | None] = dict(found["response"].answers) if found["response"] else {}
    errors: dict[str, str] = {}
    unanswered: list[str] = []
    if request.method == "POST":
        posted = {q.id: _parse(request.POST.get(q.id, "")) for q in wording.questions()}
        answers.update(posted)
        errors = _save_each(link, found, posted)
        if not errors and request.POST.get("action") == "send":
            unanswered = [q.id for q in wording.questions() if answers.get(q.id) is None]
            if not unanswered or request.POST.get("confirm") == "1":
                try:
                    outcomes.submit_response(
                        link.patient,
                        _entry(link, found, answers),
                        by=None,
                        staff_entered=False,
                        now=clock.now(),
                    )
                except DomainError as refused:
                    errors["__all__"] = refused.message
                else:
                    return redirect("portal:home", token=token)
        elif not errors:
            return redirect("portal:home", token=token)
    context = {
        "link": link,
        "token": token,
        "found": found,
        "wording": wording,
        "answers": answers,
        "errors": errors,
        "unanswered": unanswered,
        "answered": sum(1 for v in answers.values() if v is not None),
    }
    return _page(
        request, "portal/form.html", context, status=422 if errors else 200, language=link.language
    )


def _save_each(link: Link, found: dict[str, Any], posted: dict[str, int | None]) -> dict[str, str]:
    """Keep every valid answer; return the item ids that were refused, with why."""
    errors: dict[str, str] = {}
    good: dict[str, int | None] = {}
    instrument = registry.get(found["instrument"])
    for item_id, value in posted.items():
        try:
            instrument.clean({item_id: value})
        except DomainError:
            item = instrument.item(item_id)
            errors[item_id] = _range_message(item.low, item.high)
        else:
            good[item_id] = value
    if good:
        outcomes.save_progress(link.patient, _entry(link, found, good), now=clock.now())
    return errors


def _range_message(low: int, high: int) -> str:
    return _("Choose one answer between %(low)s and %(high)s.") % {"low": low, "high": high}


@never_cache
def answer(request: HttpRequest, token: str, region_id: int, instrument: str) -> HttpResponse:
    """Keep one answer as soon as it is chosen (htmx); the reply says whether it was kept."""
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    found = _find(link, region_id, instrument)
    item_id = request.POST.get("item", "")
    if (
        found is None
        or found["sent"]
        or item_id not in {i.id for i in registry.get(instrument).items}
    ):
        return _page(
            request,
            "portal/_saved.html",
            {"ok": False, "item": item_id},
            status=422,
            language=link.language,
        )
    errors = _save_each(link, found, {item_id: _parse(request.POST.get(item_id, ""))})
    refreshed = _find(link, region_id, instrument) or found
    context = {
        "ok": not errors,
        "item": item_id,
        "error": errors.get(item_id, ""),
        "answered": refreshed["answered"],
        "total": refreshed["total"],
    }
    return _page(
        request,
        "portal/_saved.html",
        context,
        status=422 if errors else 200,
        language=link.language,
    )


@never_cache
def estimate(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's own page for an estimate: what the course will cost, the payment plan,
    and acceptance by typing their full name."""
    from autologic.billing import actions as billing
    from autologic.billing.forms import OnlineAcceptForm

    if is_ratelimited(
        request, group="portal-link", key=_link_key, rate=REQUESTS_PER_LINK, increment=True
    ):
        return _page(request, "portal/slow_down.html", {}, status=429)
    link = billing.open_estimate_link(token, now=clock.now())
    if link is None:
        if is_ratelimited(
            request, group="portal-miss", key="ip", rate=MISSES_PER_ADDRESS, increment=True
        ):
            return _page(request, "portal/slow_down.html", {}, status=429)
        return _page(request, "portal/gone.html", {}, status=404)
    offer = link.estimate
    language = offer.language
    with translation.override(language):
        form = OnlineAcceptForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                billing.accept_estimate_online(
                    link, name=form.cleaned_data["name"], now=clock.now()
                )
            except DomainError as exc:
                form.add_error("name" if exc.field == "name" else None, message_for(exc))
            else:
                return _page(
                    request, "portal/estimate_accepted.html", {"estimate": offer}, language=language
                )
    context = {
        "estimate": offer,
        "parts": list(offer.instalments.all()),
        "billing": offer.site.billing,
        "form": form,
        "site_name": offer.site.name,
    }
    return _page(
        request,
        "portal/estimate.html",
        context,
        language=language,
        status=400 if request.method == "POST" else 200,
    )
