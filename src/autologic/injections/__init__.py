"""Bedside: reserving a course's aliquots, issue and thaw, the bedside scan, administration."""
