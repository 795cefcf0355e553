"""Every supported language and version, assembled from the families.

Adding a language or a version: a definition in a family module (newest version first), its
runtime image in deploy/images/runtimes.conf, and its programs in tests/e2e/programs.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from shared.languages.families import dynamic, functional, managed, native, scripting, systems
from shared.languages.model import Language

_ALL: tuple[Language, ...] = (
    *scripting.LANGUAGES,
    *native.LANGUAGES,
    *managed.LANGUAGES,
    *functional.LANGUAGES,
    *systems.LANGUAGES,
    *dynamic.LANGUAGES,
)


def _group(definitions: tuple[Language, ...]) -> Mapping[str, tuple[Language, ...]]:
    grouped: dict[str, list[Language]] = {}
    for language in definitions:
        grouped.setdefault(language.id, []).append(language)
    keys = [language.key for language in definitions]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"languages defined twice: {', '.join(duplicates)}")
    return MappingProxyType({language_id: tuple(group) for language_id, group in sorted(grouped.items())})


# Language id -> its versions, the default (newest) first.
VERSIONS: Mapping[str, tuple[Language, ...]] = _group(_ALL)
# Language id -> its default version.
LANGUAGES: Mapping[str, Language] = MappingProxyType({key: group[0] for key, group in VERSIONS.items()})
# Every definition by key ("python@3.13").
BY_KEY: Mapping[str, Language] = MappingProxyType({language.key: language for language in _ALL})


def family_name(name: str) -> str:
    """A version's name without the version: "Python 3.13" and "C (GCC 14)" name Python and C."""
    return re.sub(r"\s+[\d.]+$", "", name.split(" (", 1)[0])


def variant_of(language_id: str, variant: str | None) -> Language | None:
    """The definition a job names (None: the language's default)."""
    if variant is None:
        return LANGUAGES.get(language_id)
    return BY_KEY.get(f"{language_id}@{variant}")


def _prefix_of(requested: str, version: str) -> bool:
    """ "3.1" is not a prefix of "3.13" but "3" and "3.13" are; "gcc" of "gcc-14"; case-insensitive."""
    requested, version = requested.lower(), version.lower()
    if not version.startswith(requested):
        return False
    rest = version[len(requested) :]
    return not rest or not (rest[0].isalnum() and requested[-1:].isalnum())


def select(language_id: str, requested: str | None, versions: Mapping[str, str]) -> Language | None:
    """The newest version of a language matching ``requested`` (a prefix of a version's name, such
    as "3.11", "gcc" or "pypy", or of the version its runtime reports, such as "3.11.2"), or None.
    ``versions`` maps keys to reported versions."""
    group = VERSIONS.get(language_id, ())
    if requested is None or requested in ("", "*", "latest"):
        return group[0] if group else None
    for language in group:
        reported = versions.get(language.key)
        if _prefix_of(requested, language.variant) or (reported and _prefix_of(requested, reported)):
            return language
    return None
