"""The language catalogue: one declarative definition per language (see catalogue.py)."""

from shared.languages.catalogue import LANGUAGES
from shared.languages.model import Language

__all__ = ["LANGUAGES", "Language"]
