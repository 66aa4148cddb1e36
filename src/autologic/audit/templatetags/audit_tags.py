"""Template tags that show signatures wherever a signed record is displayed (21 CFR 11.50(b))."""

from __future__ import annotations

from typing import Any

from django import template

from autologic.audit.queries import signatures_for

register = template.Library()


@register.inclusion_tag("audit/_signatures.html", takes_context=True)
def signatures(context: template.Context, object_type: str, object_id: object) -> dict[str, Any]:
    """Render the signature manifestations of one record."""
    return {"signatures": signatures_for(object_type, object_id), "request": context.get("request")}
