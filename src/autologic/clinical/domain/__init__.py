"""Pure clinical rules: the assessment vocabulary and eligibility against a protocol."""
