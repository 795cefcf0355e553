"""The language catalogue's invariants: what callers select by, what images must exist."""

from __future__ import annotations

import re
from pathlib import Path

from shared.languages import BY_KEY, LANGUAGES, VERSIONS
from shared.languages.docs import render

RUNTIMES_CONF = Path(__file__).resolve().parents[2] / "deploy" / "images" / "runtimes.conf"


def _runtime_names() -> set[str]:
    names = set()
    for line in RUNTIMES_CONF.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(line.split(":", 1)[0].split()[0])
    return names


def test_every_definition_names_a_runtime_image_that_is_built() -> None:
    missing = {lang.key: lang.runtime for lang in BY_KEY.values() if lang.runtime not in _runtime_names()}
    assert missing == {}


def test_variants_are_short_names_a_caller_can_type() -> None:
    for language in BY_KEY.values():
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{0,31}", language.variant), language.key


def test_each_language_lists_its_default_first_and_its_versions_once() -> None:
    for language_id, group in VERSIONS.items():
        assert LANGUAGES[language_id] is group[0]
        assert len({lang.variant for lang in group}) == len(group)
        # Versions of one language agree on what a program looks like.
        assert len({(lang.compiled, lang.source_file) for lang in group}) == 1, language_id


def test_the_languages_document_is_the_catalogues() -> None:
    document = RUNTIMES_CONF.parents[2] / "docs" / "languages.md"
    assert document.read_text() == render(), "regenerate: python -m shared.languages.docs > docs/languages.md"


def test_at_least_45_languages() -> None:
    assert len(LANGUAGES) >= 45, sorted(LANGUAGES)
