"""The language catalogue: one declarative definition per language version (see catalogue.py)."""

from shared.languages.catalogue import BY_KEY, LANGUAGES, VERSIONS, family_name, select, variant_of
from shared.languages.model import Language

__all__ = ["BY_KEY", "LANGUAGES", "VERSIONS", "Language", "family_name", "select", "variant_of"]
