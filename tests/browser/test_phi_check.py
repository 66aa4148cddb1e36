"""The log check of the browser tests finds what it looks for: a patient's name, MRN or portal
token in any record, as a whole word, through the same handler the browser tests use."""

from __future__ import annotations

import logging

from tests.browser.phi import PORTAL_TOKEN, Kept, phi_found, phi_values


def test_the_check_finds_a_name_an_mrn_and_a_token_in_any_logger() -> None:
    kept = Kept()
    logger = logging.getLogger("autologic.somewhere")
    logger.addHandler(kept)
    try:
        logger.warning("Refused the answer of %s", "Richter")
        logger.error("Link /p/%s/ failed", "AbCdEfGhIjKlMnOpQrSt", exc_info=False)
        try:
            raise ValueError("MRN D0000050 not found")
        except ValueError:
            logger.exception("lookup")
        logging.getLogger("playwright.driver").warning("Richter")  # the harness: not ours
    finally:
        logger.removeHandler(kept)
    remembered = phi_values("Richter", "Sabine", "D0000050", "Li", None)
    remembered.update(PORTAL_TOKEN.findall("https://x/p/AbCdEfGhIjKlMnOpQrSt/"))
    found = phi_found(kept.lines, remembered)
    assert set(found) == {"Richter", "D0000050", "AbCdEfGhIjKlMnOpQrSt"}
    assert "Li" not in remembered  # too short to tell from ordinary words
    assert len(kept.lines) == 3


def test_a_value_inside_a_longer_word_is_not_taken_for_it() -> None:
    assert phi_found(["INFO x Richterin visited"], {"Richter"}) == {}
    assert phi_found(["INFO x by Richter."], {"Richter"}) == {"Richter": "INFO x by Richter."}
