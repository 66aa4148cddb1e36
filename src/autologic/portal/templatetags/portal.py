"""Small helpers of the portal form templates."""

from __future__ import annotations

from typing import Any

from django import template

from autologic.portal.domain import Question

register = template.Library()


@register.simple_tag
def answer_of(answers: dict[str, int | None], item_id: str) -> int | None:
    """The saved answer of one item, or None."""
    return answers.get(item_id)


@register.filter
def scale_values(question: Question) -> range:
    """Every value of a numeric scale."""
    return range(question.low, question.high + 1)


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """mapping[key] in a template."""
    return mapping.get(key)
