"""Anchoring: the audit chain's head (seq, hash, time) published outside the database.

Someone who can bypass or drop the append-only triggers can cut the chain's tail, or rewrite the
whole chain, and leave a chain that verifies.  Only a copy of the head kept elsewhere shows it:
``autologic audit anchor`` (and the worker, on a schedule) publishes the head to a file on
another volume, an e-mail address or an HTTP endpoint, and ``audit verify --anchors FILE`` proves
that every anchored head is still in the chain with the same hash.

``domain`` holds the pure rules (the record, the sink setting, the file format and the check);
``publish`` the sinks and the schedule.
"""
