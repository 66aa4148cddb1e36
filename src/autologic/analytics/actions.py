"""Changes to the registry's configuration: loading a clinic's claim file; audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import yaml

from autologic.accounts.models import Site, User
from autologic.analytics.domain import export
from autologic.analytics.domain.claims import ClaimFile, fingerprint, parse_claims
from autologic.analytics.models import ClaimSet, Pseudonym, ResearchStudy, SavedCohort
from autologic.audit.actions import record_event
from autologic.audit.journal import audited_transaction
from autologic.common.domain.errors import ConflictError, ValidationFailed
from autologic.common.locks import for_update


def read_claims(text: str, source: str) -> ClaimFile:
    """Parse and validate a claim file's YAML text, naming every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(
            "invalid_yaml", f"{source}: not valid YAML ({exc})", field="file"
        ) from None
    return parse_claims(data, source)


def load_claims(
    *, site: Site, text: str, source: str, by: User | None, now: datetime
) -> tuple[ClaimSet, bool]:
    """Load a version of a claim file for a clinic; returns the row and whether it is new.

    Loading the same version with the same content again changes nothing.  The same version
    with other content, or an older version than the clinic's, is refused: a change is a new
    version, and every report names the version it used."""
    claims = read_claims(text, source)
    mark = fingerprint(claims)
    with audited_transaction():
        for_update(Site.objects).get(pk=site.pk)  # one loader per clinic at a time
        same = ClaimSet.objects.filter(site=site, code=claims.claims, version=claims.version)
        found = same.first()
        if found is not None:
            if found.fingerprint == mark:
                return found, False
            raise ConflictError(
                "version_taken",
                f"Version {claims.version} of {claims.claims} is already loaded with other "
                "content; give the changed file a new version.",
                field="version",
            )
        latest = ClaimSet.objects.filter(site=site, code=claims.claims).order_by("-version").first()
        if latest is not None and latest.version > claims.version:
            raise ConflictError(
                "older_version",
                f"Version {latest.version} of {claims.claims} is already loaded; an older "
                "version cannot replace it.",
                field="version",
            )
        row = ClaimSet.objects.create(
            site=site,
            code=claims.claims,
            version=claims.version,
            title=claims.title.en[:200],
            content=claims.model_dump(mode="json"),
            text=text,
            source=source[:255],
            fingerprint=mark,
            loaded_by=by,
            loaded_at=now,
        )
        record_event(
            actor=by,
            site=site,
            action="claims.load",
            object_type="claim_set",
            object_id=row.pk,
            changes={
                "claims": claims.claims,
                "version": claims.version,
                "items": len(claims.items),
            },
            now=now,
        )
    return row, True


def create_research_study(
    *, site: Site, code: str, title: str, by: User, now: datetime
) -> ResearchStudy:
    """Open a study: its pseudonyms are its own; audited."""
    code, title = code.strip().lower(), title.strip()
    if not code or not title:
        raise ValidationFailed(
            "study_needs_code",
            "A study needs a code and a title.",
            field="code" if not code else "title",
        )
    with audited_transaction():
        if ResearchStudy.objects.filter(site=site, code=code).exists():
            raise ConflictError("study_exists", "A study with this code exists.", field="code")
        study = ResearchStudy.objects.create(
            site=site, code=code, title=title, created_by=by, created_at=now
        )
        record_event(
            actor=by,
            site=site,
            action="research_study.create",
            object_type="research_study",
            object_id=study.pk,
            changes={"code": code, "title": title},
            now=now,
        )
    return study


@dataclass(frozen=True)
class Exported:
    """A research export: its file name and bytes, and how many patients and rows it holds."""

    filename: str
    content: bytes
    patients: int
    rows: int


def export_registry(*, study: ResearchStudy, fmt: str, by: User, now: datetime) -> Exported:
    """The study's pseudonymised export of the clinic's registry: only patients whose registry
    consent stands now; pseudonyms are created for newcomers and kept; audited (no PHI in the
    event: the study, the format and the counts)."""
    from autologic.analytics import exports, queries
    from autologic.patients.queries import registry_consented

    if fmt not in exports.FORMATS:
        raise ValidationFailed("unknown_format", f"Unknown format {fmt!r}.", field="format")
    site = study.site
    today = now.astimezone(ZoneInfo(site.time_zone)).date()
    consented = registry_consented(site.pk, today)
    found = queries.registry_for(site, today)
    rows = [t for t in found.treated if t.patient in consented]
    with audited_transaction():
        for_update(ResearchStudy.objects).get(pk=study.pk)
        codes = dict(
            Pseudonym.objects.filter(study=study, patient_id__in=consented).values_list(
                "patient_id", "code"
            )
        )
        taken = set(Pseudonym.objects.filter(study=study).values_list("code", flat=True))
        for patient_id in sorted({t.patient for t in rows} - set(codes)):
            code = _new_code(taken)
            Pseudonym.objects.create(study=study, patient_id=patient_id, code=code, created_at=now)
            codes[patient_id] = code
        table = export.patient_rows(found, rows, codes)
        aggregate = queries.aggregate_table(found, rows, site)
        readme = _readme(study, today, len({t.patient for t in rows}), len(table.rows), fmt)
        content = exports.archive(table, fmt, aggregate, readme)
        record_event(
            actor=by,
            site=site,
            action="registry.export",
            object_type="research_study",
            object_id=study.pk,
            changes={
                "study": study.code,
                "format": fmt,
                "patients": len({t.patient for t in rows}),
                "rows": len(table.rows),
            },
            now=now,
        )
    filename = f"registry-{study.code}-{today.isoformat()}-{fmt}.zip"
    return Exported(filename, content, len({t.patient for t in rows}), len(table.rows))


ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud without mistakes


def _new_code(taken: set[str]) -> str:
    """A random pseudonym not yet used in the study (it encodes nothing about the patient)."""
    while True:
        code = "R-" + "".join(secrets.choice(ALPHABET) for _ in range(8))
        if code not in taken:
            taken.add(code)
            return code


def _readme(study: ResearchStudy, today: date, patients: int, rows: int, fmt: str) -> str:
    return (
        f"Outcome registry export for study {study.code} ({study.title}), made {today}.\n"
        f"{patients} patients whose registry consent stood on that day; {rows} rows, one per\n"
        "patient, treated joint and timepoint answered. Patients appear under their study\n"
        "pseudonym only; every time is in days from the joint's first injection.\n"
        f"registry.{fmt}: the data; dictionary.csv: each variable, its meaning, type and codes;\n"
        "aggregate.csv: responders by timepoint with counts under 5 suppressed.\n"
    )


def save_cohort(
    *, site: Site, name: str, query: dict[str, list[str]], by: User, now: datetime
) -> tuple[SavedCohort, bool]:
    """Save a cohort's filters under a name; returns the version and whether it is new.

    The same filters again change nothing; changed filters are the name's next version."""
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed("cohort_needs_name", "Give the cohort a name.", field="name")
    canonical = {k: sorted(v) for k, v in sorted(query.items()) if any(x != "" for x in v)}
    with audited_transaction():
        for_update(Site.objects).get(pk=site.pk)
        latest = SavedCohort.objects.filter(site=site, name=name).order_by("-version").first()
        if latest is not None and latest.query == canonical:
            return latest, False
        row = SavedCohort.objects.create(
            site=site,
            name=name,
            version=(latest.version + 1) if latest else 1,
            query=canonical,
            created_by=by,
            created_at=now,
        )
        record_event(
            actor=by,
            site=site,
            action="cohort.save",
            object_type="saved_cohort",
            object_id=row.pk,
            changes={"name": name, "version": row.version},
            now=now,
        )
    return row, True
