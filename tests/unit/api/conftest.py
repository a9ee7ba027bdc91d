"""The access tests' loaded two-team world (OIDC users, the service token, web logins)."""

from tests.unit.access.conftest import rsa_key, world

__all__ = ["rsa_key", "world"]
