"""What the course tells later stages about, without knowing who listens.

``course_planned`` is sent inside the scheduling transaction once a course's sessions have their
times (first scheduling, or a re-plan); the bedside re-reserves aliquots for the new times.
"""

from django.dispatch import Signal

course_planned = Signal()  # kwargs: course, by, now
