"""Lab pages: bounded queries, clear errors for bad input, labels that scan back."""

from __future__ import annotations

import shutil
import subprocess

from autologic.common.domain.identifiers import parse
from autologic.lab.models import Box, Collection, Label, StepRecord, Unit
from tests.conftest import signed_in

from .conftest import NOW, pass_qc


def test_work_queue_and_box_map_run_a_fixed_number_of_queries(
    make_lot, tech, freezer, django_assert_max_num_queries
):
    from autologic.lab.actions import storage

    client = signed_in(tech)
    make_lot()
    lot = make_lot()
    storage.check_in(
        list(Unit.objects.filter(collection=lot, parent__isnull=False)),
        Box.objects.get(code="B1"),
        by=tech,
        now=NOW,
    )
    box = Box.objects.get(code="B1")
    # The same ceiling holds for two lots as for many: no query per lot or per unit (the
    # protocol versions come in queries of their own, not with every lot).
    with django_assert_max_num_queries(19):
        assert client.get("/lab/").status_code == 200
    with django_assert_max_num_queries(12):
        response = client.get(f"/lab/storage/boxes/{box.pk}/")
    assert response.status_code == 200
    assert response.content.count(b'class="cell cell-quarantined"') == 6
    make_lot()
    with django_assert_max_num_queries(19):
        assert client.get("/lab/").status_code == 200


def test_bad_step_input_names_the_field_and_saves_nothing(
    start_course, resources, tech, physician, fixed_clock
):
    from decimal import Decimal

    from autologic.care import actions as care
    from autologic.lab.actions import collection as lab

    course = start_course()
    care.schedule_course(course=course, by=physician, expected_version=course.version)
    lot = lab.record_collection(
        course=course,
        collected_at=NOW,
        collected_by=physician,
        volume_ml=Decimal(60),
        containers=6,
        container_type="s",
        notes="",
        by=tech,
        now=NOW,
    )
    lab.start_run(lot, by=tech, now=NOW)
    client = signed_in(tech)
    response = client.post(
        f"/lab/lots/{lot.pk}/step/",
        {
            "key": "incubation",
            "passage": "0",
            "started_at": "2026-11-21T08:00",
            "ended_at": "2026-11-21T09:00",
            "temperature_c": "warm",
        },
    )
    assert response.status_code == 400
    assert b"Enter a number" in response.content
    response = client.post(
        f"/lab/lots/{lot.pk}/step/",
        {
            "key": "incubation",
            "passage": "0",
            "started_at": "2026-11-21T08:00",
            "ended_at": "2026-11-21T09:00",
        },
    )
    assert response.status_code == 400
    assert b"temperature_c" in response.content
    assert not StepRecord.objects.filter(run__collection=lot).exists()
    response = client.post(f"/lab/lots/{lot.pk}/results/", {"attribute": "nonsense", "value": "1"})
    assert response.status_code == 400


def test_release_form_refuses_a_wrong_password_without_side_effects(make_lot, tech, manager):
    lot = make_lot()
    pass_qc(lot, tech)
    client = signed_in(manager)
    response = client.post(
        f"/lab/lots/{lot.pk}/release/", {"decision": "released", "password": "wrong"}
    )
    assert response.status_code == 400
    assert not Collection.objects.filter(pk=lot.pk, release__isnull=False).exists()
    assert set(
        Unit.objects.filter(collection=lot, parent__isnull=False).values_list("status", flat=True)
    ) == {"quarantined"}


def test_printed_labels_decode_back_to_the_identifier(make_lot, tech, tmp_path):
    missing = [t for t in ("pdftoppm", "zbarimg", "dmtxread") if not shutil.which(t)]
    assert not missing, f"install {missing} with `make labeltools`"
    lot = make_lot()
    label = Label.objects.filter(unit__collection=lot).order_by("unit__index").first()
    client = signed_in(tech)
    response = client.get(f"/lab/lots/{lot.pk}/labels/{label.job}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    (tmp_path / "labels.pdf").write_bytes(response.content)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "600",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "labels.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    (image,) = tmp_path.glob("page*.png")
    linear = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Scode128.enable", str(image)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    matrix = subprocess.run(
        ["dmtxread", "--milliseconds=20000", str(image)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    unit = label.unit
    expected = unit.identifier + unit.flags
    assert linear == [expected]
    assert matrix == expected
    assert parse(linear[0]).data == unit.identifier  # Type 3 flags re-verified


def _deviation_lot(make_lot, tech):
    steps = [
        ("incubation", {"hours": 5, "temperature_c": 37.0}),
        ("centrifugation", {"hours": 0.3, "g_force": 2000, "spin_min": 10}),
        ("aliquoting", {"hours": 0.5}),
    ]
    lot = make_lot(steps=steps, store=True)
    pass_qc(lot, tech)
    return lot


def test_a_refused_deviation_decision_stays_open_with_its_error_and_what_was_typed(
    make_lot, tech, manager
):
    import re

    from autologic.lab.models import Deviation
    from tests.conftest import PASSWORD

    lot = _deviation_lot(make_lot, tech)
    (deviation,) = Deviation.objects.filter(run__collection=lot)
    client = signed_in(manager)
    page = client.get(f"/lab/lots/{lot.pk}/").content.decode()
    assert re.search(r"<details><summary>[^<]*Decide", page)  # closed until used
    # A wrong password: refused at the password, the decision and the text kept.
    response = client.post(
        f"/lab/lots/{lot.pk}/deviations/{deviation.pk}/",
        {"decision": "rejected", "justification": "Incubated one hour too long.", "password": "x"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r"<details open><summary>[^<]*Decide", html)
    field = re.search(
        rf'<div class="field has-error">\s*<label for="id_deviation{deviation.pk}_password">'
        r".*?</div>",
        html,
        re.S,
    )
    assert field and 'class="error"' in field.group(0)
    assert 'value="Incubated one hour too long."' in html
    assert '<option value="rejected" selected>' in html
    # No justification: the justification field says so.
    response = client.post(
        f"/lab/lots/{lot.pk}/deviations/{deviation.pk}/",
        {"decision": "accepted", "justification": "", "password": PASSWORD},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "<details open>" in html
    assert f'id="id_deviation{deviation.pk}_justification-error"' in html
    deviation.refresh_from_db()
    assert deviation.disposition == "open"


def test_the_release_form_marks_the_refused_signature_field(make_lot, tech, manager):
    import re

    lot = _deviation_lot(make_lot, tech)
    client = signed_in(manager)
    html = client.post(
        f"/lab/lots/{lot.pk}/release/", {"decision": "released", "password": "wrong"}
    ).content.decode()
    assert re.search(r'<div class="field has-error">\s*<label for="id_password">', html)
    assert 'role="alert"' in html
