"""Template filters of the protocol pages: eligibility rules as sentences."""

from __future__ import annotations

from typing import Any

from django import template

from autologic.protocols import texts

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
