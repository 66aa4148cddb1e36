"""What a signed paper scan may be: a PDF, JPEG or PNG (recognised by its first bytes, not its
name) of at most 10 MB."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from autologic.billing.domain.money import BillingError

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


@dataclass(frozen=True)
class Scan:
    content: bytes
    content_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def scan(content: bytes) -> Scan:
    """The scan, or a refusal naming the field: empty, too large, or not a PDF or image."""
    if not content:
        raise BillingError("scan_empty", "The scan is empty.", "scan")
    if len(content) > MAX_BYTES:
        raise BillingError("scan_too_large", "The scan is larger than 10 MB.", "scan")
    for magic, content_type in SIGNATURES:
        if content.startswith(magic):
            return Scan(content, content_type)
    raise BillingError("scan_type", "The scan is not a PDF, JPEG or PNG file.", "scan")
