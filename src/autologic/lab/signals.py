"""What the lab tells later stages about, without knowing who listens.

``units_released`` is sent inside the release transaction when units of a course become usable
(a lot released, or a unit returned to use after review); the bedside reserves them for the
course's remaining sessions in that same transaction.
"""

from django.dispatch import Signal

units_released = Signal()  # kwargs: course, by, now
