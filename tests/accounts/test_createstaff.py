"""`autologic createstaff --name`: the display name printed on signatures and in the audit."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from autologic.accounts.models import User


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("AUTOLOGIC_PASSWORD", "a-long-enough-passphrase")


def _create(*extra: str) -> None:
    call_command(
        "createstaff",
        "--username",
        "dr.rahimi",
        "--role",
        "physician",
        "--site",
        "thr",
        "--site-name",
        "Tehran",
        "--time-zone",
        "Asia/Tehran",
        "--calendar",
        "jalali",
        *extra,
    )


def test_the_display_name_is_the_printed_name(db, password, capsys):
    _create("--name", "  سارا   رحیمی ")
    user = User.objects.get(username="dr.rahimi")
    assert (user.first_name, user.last_name) == ("سارا", "رحیمی")
    assert user.printed_name == "سارا رحیمی"
    assert "سارا رحیمی" in capsys.readouterr().out


def test_a_display_name_of_several_words_prints_as_given(db, password):
    _create("--name", "María José García López")
    assert User.objects.get(username="dr.rahimi").printed_name == "María José García López"


def test_without_a_name_the_username_is_printed(db, password):
    _create()
    assert User.objects.get(username="dr.rahimi").printed_name == "dr.rahimi"


def test_the_display_name_is_refused_with_an_invisible_character_or_beside_first_name(db, password):
    with pytest.raises(
        CommandError, match=r"--name: The text contains an invisible character \(U\+202E\)"
    ):
        _create("--name", "Anna \u202eWeber")
    with pytest.raises(CommandError, match="--name: give the display name"):
        _create("--name", "Anna Weber", "--first-name", "Anna")
    assert not User.objects.exists()
