"""Template filters of the protocol pages: eligibility rules as sentences."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from autologic.protocols import queries, texts

register = template.Library()


@register.filter
def rule_kind(rule: Any) -> str:
    """The translated name of a rule's kind."""
    return texts.rule_kind(rule)


@register.filter
def rule_sentences(rule: Any) -> list[str]:
    """What an eligibility rule checks, as sentences."""
    return texts.rule_sentences(rule)


@register.filter
def parameter_name(entry: str, protocol: Any) -> str:
    """A parameter awaiting confirmation, named in words."""
    return texts.parameter_name(entry, protocol)


@register.filter
def protocol_title(code: str) -> str:
    """A protocol code (as a consent names what it covers) as the protocol's name."""
    return queries.protocol_title(code, get_language() or "en")


@register.filter
def words(value: Any, vocabulary: str) -> str:
    """A coded value of a protocol file in words, in the UI language."""
    return texts.word(value, vocabulary)
