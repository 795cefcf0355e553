"""The Judge0 and Piston shapes are tested like the product API: a real auth service for accounts
and API keys, a gateway trusting it, and the session's real executor (tests/product/conftest.py)."""

from tests.product.conftest import admin, fresh_limits, gw, make_account

__all__ = ["admin", "fresh_limits", "gw", "make_account"]
