"""The outbox page: messages that could not leave the clinic, and sending one again."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autologic.audit.actions import record_read
from autologic.common import clock
from autologic.common.domain.errors import DomainError
from autologic.common.messages import message_for
from autologic.outbox import actions, queries


def attention(request: HttpRequest) -> HttpResponse:
    """Failed and failing messages of the user's clinic (their addresses are PHI: audited)."""
    site = request.user.site
    found = queries.attention(site, clock.now())
    if found.failed or found.failing:
        record_read(request.user, "outbox", site.pk, what="messages needing attention")
    return render(request, "outbox/attention.html", {"found": found})


@require_POST
def retry_now(request: HttpRequest, message_id: int) -> HttpResponse:
    """Send a failed message once more, after the address or the provider was fixed."""
    message = queries.message_for_site(request.user.site, message_id)
    if message is None:
        raise Http404
    try:
        actions.retry_now(message, by=request.user, now=clock.now())
    except DomainError as exc:
        messages.error(request, message_for(exc))
    else:
        messages.success(request, _("The message is being sent again."))
    return redirect("outbox:attention")
