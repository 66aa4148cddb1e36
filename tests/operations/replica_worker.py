"""Runs against a primary and its streaming replica (tests/operations/test_replica): writes
through the real actions, then reads the registry inside and outside `replica_reads`, and
reports, as JSON, which server answered each query."""

from __future__ import annotations

import json
import time
from datetime import date


def main() -> None:
    import django

    django.setup()
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from autologic.accounts import actions as accounts
    from autologic.analytics import queries as analytics
    from autologic.audit.queries import verify
    from autologic.operations.replica import replica_reads
    from autologic.patients.actions import create_patient
    from autologic.patients.models import Patient

    site = accounts.create_site(
        code="rep",
        data={
            "name": "Replica Clinic",
            "time_zone": "Europe/Berlin",
            "calendar": "gregorian",
            "currency": "EUR",
            "languages": ["en"],
            "default_language": "en",
            "mrn_prefix": "R",
        },
    )
    person = {"given_name": "Rita", "family_name": "Replica", "sex": "female"}
    first = create_patient(site=site, data={**person, "date_of_birth": date(1960, 1, 1)}, by=None)
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        recovery, replica_port = cursor.fetchone()
        deadline = time.monotonic() + 30
        while True:  # streaming: the row arrives within the replication lag
            cursor.execute("SELECT count(*) FROM patients_patient WHERE id = %s", [first.pk])
            if cursor.fetchone()[0] == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    primary, replica = connections["default"], connections["replica"]
    report: dict[str, object] = {"replica_in_recovery": recovery, "replica_port": replica_port}
    with CaptureQueriesContext(primary) as on_primary, CaptureQueriesContext(replica) as on_replica:
        Patient.objects.filter(site=site).count()
    report["plain_read"] = [len(on_primary), len(on_replica)]
    with (
        CaptureQueriesContext(primary) as on_primary,
        CaptureQueriesContext(replica) as on_replica,
        replica_reads(),
    ):
        found = analytics.registry_for(site, date(2026, 12, 7))
        patients = Patient.objects.filter(site=site).count()
        # A write inside: it and the audit journal's reads go to the primary.
        create_patient(site=site, data={**person, "date_of_birth": date(1961, 2, 2)}, by=None)
    report["registry_read"] = [len(on_primary), len(on_replica)]
    report["patients_seen_on_replica"] = patients
    report["treated"] = len(found.treated)
    report["replica_sql"] = [q["sql"].split()[0].upper() for q in on_replica.captured_queries]
    report["primary_writes"] = sum(
        q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
        for q in on_primary.captured_queries
    )
    report["patients_on_primary"] = Patient.objects.filter(site=site).count()
    chain = verify()
    report["chain_ok"] = chain.ok
    print(json.dumps(report))


if __name__ == "__main__":
    main()
