"""The protocol page reads like a clinical protocol: rules as sentences, parameters in words."""

from __future__ import annotations

import re

import pytest

from autologic.protocols.texts import parameter_name, rule_sentences
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_grade_rule_reads_as_sentences(protocols):
    protocol = protocols["acs-large-joint"].protocol
    grade = next(rule for rule in protocol.eligibility if rule.kind == "grade")
    lines = rule_sentences(grade)
    assert lines[0] == "Kellgren–Lawrence (0–4) grade, for Osteoarthritis."
    assert "Grade 1, 2, 3: eligible." in lines
    assert (
        "Grade 4: eligible with conditions with a high anaesthesia risk, a comorbidity, a young "
        "patient, a patient who wants to avoid surgery; otherwise not eligible "
        "(lower expected success)." in lines
    )
    assert (
        "Young: below 60 years." in lines
        and "No grade recorded: eligible with conditions." in lines
    )


def test_unconfirmed_parameters_are_named_in_words(protocols):
    protocol = protocols["acs-large-joint"].protocol
    assert parameter_name("processing[1].g_force", protocol) == "Centrifugation › g-force"
    assert parameter_name("product.thaw_to_injection_max_min", protocol) == (
        "Product › thaw to injection (max. min)"
    )
    noted = parameter_name("injections.count.default (6 on the Tehran page)", protocol)
    assert noted == "Injections › number of injections › usual number (6 on the Tehran page)"


@pytest.mark.parametrize(
    "code", ["acs-large-joint", "acs-spine", "acs-tendon", "bm-msc-knee", "cells-hip"]
)
def test_the_protocol_page_shows_no_raw_rules_or_parameter_paths(protocols, physician, code):
    row = protocols[code]
    html = signed_in(physician).get(f"/protocols/{row.pk}/").content.decode()
    rules = html.split('data-testid="eligibility-rules"')[1]
    assert "{" not in rules and '"kind"' not in rules
    for rule in row.protocol.eligibility:
        assert f">{rule.id}<" not in rules and f">{rule.kind}<" not in rules
    assert not re.search(r"\w\[\d\]\.\w", html), "a parameter path such as processing[1].g_force"
