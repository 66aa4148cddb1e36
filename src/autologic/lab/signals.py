"""What the lab tells later stages about, without knowing who listens.

``units_released`` is sent inside the release transaction when units of a course become usable
(a lot released, or a unit returned to use after review); the bedside reserves them for the
course's remaining sessions in that same transaction.

``results_failed_after_release`` is sent inside the recording transaction when a result that
arrives after release fails; QA holds and look-back listen to it.

``units_expired`` is sent inside the transaction that moves a course's units past their expiry
to expired (the worker's round); the bedside drops their reservations and reserves others.
"""

from django.dispatch import Signal

units_released = Signal()  # kwargs: course, by, now
# A QC result recorded after the lot's release failed its specification (a 7-day sterility
# culture, say): the units not yet given must be held and a look-back opened, in that transaction.
results_failed_after_release = Signal()  # kwargs: collection, result, by, now
# Units of a course reached their expiry and were moved to expired (kwargs: course, units (their
# identifiers), by (None: the system), now).
units_expired = Signal()
