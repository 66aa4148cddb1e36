"""Billing records: the clinic's billing profile, price lists, estimates with their instalment
plans, invoices and credit notes with gapless numbers, payments and refunds, VERI*FACTU records.

Every amount is stored as a whole number of the currency's minor units (cents, fils, whole
rials) next to its currency: IRR is stored as integer rials, never as a float or a toman.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from autologic.billing import choices
from autologic.billing.domain.money import Money

USER = settings.AUTH_USER_MODEL


class BillingProfile(models.Model):
    """How a clinic bills: its country's rules, the legal entity on its invoices, and the choices
    billing.md leaves to the clinic (each shown with its note until confirmed)."""

    site = models.OneToOneField("accounts.Site", on_delete=models.PROTECT, related_name="billing")
    country = models.CharField(_("country"), max_length=2, choices=choices.COUNTRIES)
    legal_name = models.CharField(_("legal name"), max_length=200)
    tax_id = models.CharField(_("tax number"), max_length=32)
    address = models.TextField(_("address"))
    # Iran: prices on screen in tomans (÷ 10); stored and printed on invoices in rials.
    show_tomans = models.BooleanField(_("show prices in tomans"), default=False)
    # No collection until the deposit is paid, unless a physician overrides it.
    deposit_gate = models.BooleanField(_("deposit before collection"), default=False)
    payment_days = models.PositiveSmallIntegerField(_("days to pay an invoice"), default=14)
    estimate_days = models.PositiveSmallIntegerField(_("days an estimate is valid"), default=30)
    reminder_days = models.PositiveSmallIntegerField(_("reminder days before due"), default=3)
    # The refund policy when a course is cancelled (account.RefundPolicy).
    refund_keep_percent = models.DecimalField(
        _("cancellation fee (per cent of what is refunded)"),
        max_digits=5,
        decimal_places=2,
        default=0,
    )
    refund_units_made = models.BooleanField(_("refund units already made"), default=False)
    # Facts billing.md marks ❓ that the clinic's adviser has confirmed (choices.OPEN_FACTS keys).
    confirmed = models.JSONField(default=list, blank=True)
    # Spain: VERI*FACTU records are kept (non-sending mode); sending to the AEAT stays off.
    verifactu = models.BooleanField(_("VERI*FACTU records"), default=False)
    invoice_prefix = models.CharField(_("invoice number prefix"), max_length=12, default="")
    # Tax as data (vat.DEFAULTS gives a new clinic its country's): the standard percent (blank:
    # the treatment is exempt), the legal basis printed, and a zero rate's basis (UAE).
    tax_percent = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    tax_basis = models.CharField(_("tax note printed on invoices"), max_length=200, blank=True)
    zero_rate_basis = models.CharField(_("zero-rate note"), max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.country})"


class PriceList(models.Model):
    """A clinic's prices for one therapy (protocol code), version by version, each in force from
    its date; a later version never changes an estimate made under an earlier one."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    therapy = models.SlugField(_("therapy"), max_length=64)
    version = models.PositiveIntegerField()
    effective_from = models.DateField(_("in force from"))
    currency = models.CharField(max_length=3)
    source = models.CharField(_("source"), max_length=200)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["therapy", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "therapy", "version"], name="price_list_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.therapy} v{self.version} from {self.effective_from}"


class PriceItem(models.Model):
    """One line of a price list: a fixed price (low == high) or a range an estimate fixes."""

    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=64)
    label = models.JSONField()  # {language: text}
    per = models.CharField(max_length=20, choices=choices.PER)
    low_minor = models.BigIntegerField()
    high_minor = models.BigIntegerField()
    # Germany: a GOÄ position (code is its number) with its points and frame; an analog item
    # names the item it is billed like (§ 6(2)). The fee follows from points × value × multiplier.
    points = models.PositiveIntegerField(null=True, blank=True)
    frame = models.CharField(max_length=12, blank=True)
    analog_of = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["price_list", "position"]

    def __str__(self) -> str:
        return f"{self.code} ({self.price_list_id})"


class Estimate(models.Model):
    """What the patient is told the course will cost, with the plan to pay it; a revision keeps
    the earlier estimate (superseded) and names it."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey("care.Course", on_delete=models.PROTECT, related_name="estimates")
    revision = models.PositiveSmallIntegerField()
    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, null=True, blank=True)
    fee_schedule = models.CharField(max_length=32, blank=True)  # "GOÄ 1996" in Germany
    currency = models.CharField(max_length=3)
    # [{code, label, quantity, unit_minor, amount_minor, reason, goae: {...}}]
    lines = models.JSONField()
    total_minor = models.BigIntegerField()
    # What the course was when priced (regions, injections, collections): a course that changes
    # afterwards is offered a revised estimate.
    shape = models.JSONField(default=dict)
    insurer = models.CharField(_("supplementary insurer"), max_length=200, blank=True)
    insurer_note = models.TextField(_("what the insurer may reimburse"), blank=True)
    valid_until = models.DateField(_("valid until"))
    language = models.CharField(_("printed in"), max_length=8)
    status = models.CharField(max_length=12, choices=choices.ESTIMATE_STATUSES, default="offered")
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_on = models.DateField(_("signed on"), null=True, blank=True)
    accepted_by_name = models.CharField(_("signed by"), max_length=200, blank=True)
    acceptance = models.CharField(
        _("how it was signed"), max_length=12, choices=choices.ACCEPTANCE, blank=True
    )
    # Germany: the § 2 / IGeL agreement and the § 630c(3) BGB cost information, signed first.
    agreement_signed = models.BooleanField(_("§ 2 / IGeL agreement signed"), default=False)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["course", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["course", "revision"], name="estimate_revision_unique"),
            models.UniqueConstraint(
                fields=["course"],
                condition=models.Q(status__in=["offered", "accepted"]),
                name="estimate_one_current_per_course",
            ),
        ]

    def __str__(self) -> str:
        return f"Estimate {self.course_id}/{self.revision}"

    @property
    def total(self) -> Money:
        return Money.from_minor(self.total_minor, self.currency)


class Instalment(models.Model):
    """One part of an estimate's payment plan: a deposit or an instalment, due on a date or on a
    course event (collection, first or last injection)."""

    estimate = models.ForeignKey(Estimate, on_delete=models.PROTECT, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    deposit = models.BooleanField(default=False)
    amount_minor = models.BigIntegerField()
    due_on = models.DateField(null=True, blank=True)
    due_event = models.CharField(max_length=16, choices=choices.DUE_EVENTS, blank=True)

    class Meta:
        ordering = ["estimate", "number"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "number"], name="instalment_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.estimate_id}/{self.number}"

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.estimate.currency)


class NumberRange(models.Model):
    """The last number given in a clinic's series for a year; locked while an invoice is issued,
    so numbers are given in the freezing transaction and never leave a gap."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    series = models.CharField(max_length=16, choices=choices.SERIES)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "series", "year"], name="number_range_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last}"


class Invoice(models.Model):
    """An invoice or a credit note. Issued means frozen: the database refuses any change to an
    issued row (a trigger), and a correction is a credit note in its own series citing it."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "care.Course", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    estimate = models.ForeignKey(Estimate, on_delete=models.PROTECT, null=True, blank=True)
    series = models.CharField(max_length=16, choices=choices.SERIES)
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    number_text = models.CharField(_("invoice number"), max_length=40)
    issued_on = models.DateField(_("date of issue"))
    issued_at = models.DateTimeField()
    due_on = models.DateField(_("due on"))
    currency = models.CharField(max_length=3)
    # [{code, label, quantity, unit_minor, net_minor, rate, tax_minor, goae: {...}}]
    lines = models.JSONField()
    net_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    # Everything the printed document needs, frozen at issue (issuer, recipient, legal notes).
    document = models.JSONField()
    language = models.CharField(max_length=8)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    reason = models.TextField(blank=True)
    issued_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "series", "year", "number"], name="invoice_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["site", "issued_on"], name="invoice_site_issued_idx"),
            # The ageing statement reads a site's invoices course by course in issue order.
            models.Index(
                fields=["site", "course", "issued_at", "id"],
                name="invoice_site_course_order_idx",
                include=["total_minor", "due_on", "series"],
            ),
        ]

    def __str__(self) -> str:
        return self.number_text

    @property
    def total(self) -> Money:
        return Money.from_minor(self.total_minor, self.currency)


# An invoice holds at most this many lines; a line's id is invoice id x LINES_PER_INVOICE + its
# position (1-based), so every line has a stable integer key without a table of its own.
LINES_PER_INVOICE = 1000


class InvoiceLine(models.Model):
    """One line of an issued invoice, read from the invoice's frozen ``lines`` through a database
    view (``billing_invoice_line``): the invoice stays the one record, and the FHIR ChargeItem
    pages through lines by key like any other table."""

    id = models.BigIntegerField(primary_key=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.DO_NOTHING, related_name="+")
    sequence = models.IntegerField()
    site = models.ForeignKey("accounts.Site", on_delete=models.DO_NOTHING, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.DO_NOTHING, related_name="+")
    issued_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    series = models.CharField(max_length=16)
    line = models.JSONField()

    class Meta:
        managed = False
        db_table = "billing_invoice_line"

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.sequence}"


class Payment(models.Model):
    """Money received for a course (or returned: a refund is a negative amount with a reason)."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey("care.Course", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("method"), max_length=16, choices=choices.PAYMENT_METHODS)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    reason = models.TextField(blank=True)
    receipt_number = models.CharField(max_length=40)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["received_on", "id"]
        indexes = [
            models.Index(
                fields=["site", "course"], name="payment_site_course_idx", include=["amount_minor"]
            ),
            models.Index(fields=["site", "received_on"], name="payment_site_day_idx"),
        ]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def amount(self) -> Money:
        return Money.from_minor(self.amount_minor, self.currency)


class VerifactuRecord(models.Model):
    """One link of a Spanish clinic's VERI*FACTU chain: an alta or anulación record with its
    SHA-256 fingerprint and the XML as it was made."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="records")
    kind = models.CharField(max_length=10)
    generated_at = models.CharField(max_length=32)
    fingerprint = models.CharField(max_length=64, unique=True)
    previous = models.CharField(max_length=64, blank=True)
    xml = models.TextField()

    class Meta:
        ordering = ["site", "position"]
        constraints = [
            models.UniqueConstraint(fields=["site", "position"], name="verifactu_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.site_id}#{self.position} {self.kind}"


class PaymentReminder(models.Model):
    """A reminder of one instalment, sent once per step (before it falls due, once overdue)
    through the outbox; the unique step keeps two workers from sending it twice."""

    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="reminders")
    step = models.CharField(max_length=10, choices=choices.REMINDER_STEPS)
    outcome = models.CharField(max_length=20)
    message = models.ForeignKey(
        "outbox.Message", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["instalment", "step"], name="payment_reminder_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instalment} {self.step}: {self.outcome}"


class Coverage(models.Model):
    """A patient's insurance for a course: the insurer, the policy, how it pays (directly to a
    contracted clinic, or reimbursing the patient), its share rule and caps, what it covers."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    insurer = models.CharField(_("insurer"), max_length=200)
    policy_number = models.CharField(_("policy number"), max_length=64)
    channel = models.CharField(_("how it pays"), max_length=16, choices=choices.CLAIM_CHANNELS)
    pre_authorisation = models.CharField(_("pre-authorisation"), max_length=64, blank=True)
    # The insurer's own rule, as written in the policy ("up to 30 % of its tariff").
    share_rule = models.CharField(_("share rule"), max_length=200, blank=True)
    course_cap_minor = models.BigIntegerField(null=True, blank=True)
    year_cap_minor = models.BigIntegerField(null=True, blank=True)
    covered_items = models.JSONField(default=list, blank=True)  # price item codes; empty: all
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["patient", "insurer"]

    def __str__(self) -> str:
        return f"{self.insurer} {self.policy_number}"


class Claim(models.Model):
    """A claim of a course's invoice to an insurer, through its states; a resubmission is a new
    claim naming the one it follows."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey("care.Course", on_delete=models.PROTECT, related_name="+")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="claims")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="claims")
    channel = models.CharField(_("how it pays"), max_length=16, choices=choices.CLAIM_CHANNELS)
    state = models.CharField(
        _("state"), max_length=16, choices=choices.CLAIM_STATES, default="draft"
    )
    currency = models.CharField(max_length=3)
    claimed_minor = models.BigIntegerField()
    approved_minor = models.BigIntegerField(null=True, blank=True)
    paid_minor = models.BigIntegerField(default=0)
    resubmission_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="resubmissions"
    )
    reference = models.CharField(_("insurer's reference"), max_length=64, blank=True)
    reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Claim {self.pk} ({self.state})"


class SignedScan(models.Model):
    """The scan of an estimate the patient signed on paper, kept with its SHA-256 (which the
    clerk's e-signature covers)."""

    estimate = models.OneToOneField(Estimate, on_delete=models.PROTECT, related_name="scan")
    content = models.BinaryField()
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"scan of {self.estimate_id} ({self.content_type}, {self.size} bytes)"


class EstimateLink(models.Model):
    """A patient's tokenised link to read and accept one estimate online; the token exists only
    in the message that carried it (its SHA-256 is kept), minted as the outbox sends it."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    estimate = models.ForeignKey(Estimate, on_delete=models.PROTECT, related_name="links")
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    channel = models.CharField(max_length=8)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"estimate link {self.pk} ({self.estimate_id})"
