"""Pure bedside rules: which aliquot serves which session, and the bedside check."""
