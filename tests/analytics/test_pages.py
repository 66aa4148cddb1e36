"""The registry page: a cohort by its filters, every section, refusals that name the field."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from tests.analytics.test_queries import answer
from tests.conftest import signed_in


def test_the_registry_page_measures_the_cohort(administration, nurse, physician) -> None:
    given = administration.given_at.date()
    answer(administration, "baseline", 7, given, nurse)
    answer(administration, "w6", 4, given + timedelta(days=42), nurse)
    followup = {"ACTIVITIES": 1, "SURGERY": 0}
    answer(administration, "w6", 0, given + timedelta(days=42), nurse, "FOLLOWUP", followup)
    client = signed_in(physician)
    page = client.get(reverse("analytics:registry"))
    assert page.status_code == 200
    text = page.content.decode()
    for section in (
        "cohort-size",
        "follow-up-table",
        "change",
        "responders",
        "survival",
        "activities",
        "safety",
        "forest",
    ):
        assert f'data-testid="{section}"' in text, section
    # Back to daily activities at the 6-week follow-up: 100 % by week 6, median 42 days.
    assert page.context["activities"][-1]["back"] == 1.0
    assert page.context["activities_median"][0] == 42
    assert "<svg" in text  # the charts are inline SVG
    assert 'role="img"' in text
    grouped = client.get(
        reverse("analytics:registry"),
        {"score": "NRS:pain", "timepoint": "w6", "stratify": "sex", "failures": ["arthroplasty"]},
    )
    assert grouped.status_code == 200
    assert grouped.context["report"].strata
    none = client.get(reverse("analytics:registry"), {"score": "NRS:pain", "region": "hip"})
    assert none.context["report"].rows == []


def test_bad_filters_are_refused_by_field(administration, nurse, physician) -> None:
    answer(administration, "baseline", 7, administration.given_at.date(), nurse)
    client = signed_in(physician)
    url = reverse("analytics:registry")
    crossed = client.get(url, {"score": "NRS:pain", "incubation_min": "12", "incubation_max": "6"})
    assert crossed.status_code == 400
    assert "incubation_max" in crossed.context["form"].errors
    words = client.get(url, {"score": "NRS:pain", "cuts": "eight, ten"})
    assert words.status_code == 400 and "cuts" in words.context["form"].errors
    unknown = client.get(url, {"score": "KOOS:nonsense"})
    assert unknown.status_code == 400 and "score" in unknown.context["form"].errors
    huge = client.get(url, {"score": "NRS:pain", "age_min": "1" * 400})
    assert huge.status_code == 400
    version = administration.appointment.course.protocol.version
    alone = client.get(url, {"score": "NRS:pain", "version": str(version)})
    assert alone.status_code == 400 and "version" in alone.context["form"].errors
    chosen = client.get(
        url, {"score": "NRS:pain", "protocol": "acs-large-joint", "version": str(version)}
    )
    assert chosen.status_code == 200 and len(chosen.context["report"].rows) == 1
    other = client.get(url, {"score": "NRS:pain", "therapy": "cells_hip"})
    assert other.status_code == 200 and other.context["report"].rows == []


def test_only_physicians_and_the_manager_read_the_registry(site, make_staff) -> None:
    """With nobody treated yet the page says so (and is not an error)."""
    for role, status in (("manager", 200), ("physician", 200), ("nurse", 403), ("billing", 403)):
        response = signed_in(make_staff(role)).get(reverse("analytics:registry"))
        assert response.status_code == status, role
        if status == 200:
            assert b'data-testid="registry-empty"' in response.content


def test_a_cohort_is_saved_and_versioned(administration, nurse, physician) -> None:
    from autologic.analytics.models import SavedCohort
    from autologic.audit.models import AuditEvent

    answer(administration, "baseline", 7, administration.given_at.date(), nurse)
    client = signed_in(physician)
    url = reverse("analytics:cohort_save")
    knees = {"score": "NRS:pain", "region": "knee", "name": "Knees"}
    first = client.post(url, knees)
    assert first.status_code == 302 and "region=knee" in first["Location"]
    assert client.post(url, knees).status_code == 302  # the same filters: nothing new
    client.post(url, {**knees, "incubation_min": "10"})
    versions = list(SavedCohort.objects.order_by("version").values_list("version", "query"))
    assert [v for v, _q in versions] == [1, 2]
    assert versions[1][1]["incubation_min"] == ["10"]
    assert AuditEvent.objects.filter(action="cohort.save").count() == 2
    page = client.get(reverse("analytics:registry"))
    assert b'data-testid="saved-cohorts"' in page.content and b"incubation_min=10" in page.content
    # Bad filters or no name save nothing.
    client.post(
        url, {"score": "NRS:pain", "incubation_min": "9", "incubation_max": "1", "name": "X"}
    )
    client.post(url, {"score": "NRS:pain", "name": "  "})
    assert SavedCohort.objects.count() == 2
