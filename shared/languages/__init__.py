"""The language catalogue: one declarative definition per language version (see catalogue.py)."""

from shared.languages.catalogue import BY_KEY, LANGUAGES, VERSIONS, select, variant_of
from shared.languages.model import Language

__all__ = ["BY_KEY", "LANGUAGES", "VERSIONS", "Language", "select", "variant_of"]
