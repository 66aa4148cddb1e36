"""Pure adverse-event rules: the CTCAE term table, grade, seriousness, relatedness, outcome,
and who must be told."""
