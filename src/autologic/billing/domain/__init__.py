"""The money side of a course, as pure rules: amounts with their currency and scale, each
country's fee and tax rounding, and instalment plans that always add up (issue 17).

Sources and confidence marks: ``../shared/domain/billing.md``; ADR 0007 records the choices."""
