"""Upgrading keeps every link already sent working, and takes the tokens out of stored texts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from autologic.outbox.models import Message
from autologic.portal import actions
from autologic.portal.domain import LINK_PLACEHOLDER, new_token, token_hash
from autologic.portal.models import LinkToken

BEFORE = [("portal", "0001_links_reminders_texts_licences")]


@pytest.mark.django_db(transaction=True)  # migrations change the schema
def test_links_sent_before_keep_working_and_stored_bodies_lose_their_tokens(baseline, fixed_clock):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    now = fixed_clock.now()
    token = new_token()
    course = baseline.course
    link = old.get_model("portal", "Link").objects.create(
        site_id=course.site_id,
        patient_id=course.patient_id,
        appointment_id=baseline.pk,
        token_hash=token_hash(token),
        language="en",
        forms=[[course.regions.get(region="knee").pk, "NRS"]],
        created_at=now,
        expires_at=now + timedelta(days=2),
    )
    text = f"Hello Jürgen,\n\n{settings.AUTOLOGIC_PUBLIC_URL}/p/{token}/\n\nThe link is personal."
    old.get_model("outbox", "Message").objects.create(
        site_id=course.site_id,
        channel="sms",
        to="+49 30 1234567",
        body=text,
        purpose="questionnaire",
        ref=f"portal-link:{link.pk}",
        status="sent",
        created_at=now,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert actions.open_link(token, now=now).pk == link.pk
    assert LinkToken.objects.get().link_id == link.pk
    body = Message.objects.get().body
    assert token not in body
    assert body == f"Hello Jürgen,\n\n{LINK_PLACEHOLDER}\n\nThe link is personal."
