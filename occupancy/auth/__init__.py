"""Accounts, sign-in and who may see what: passwords, API tokens, browser sessions, scopes."""

from occupancy.auth.principal import PERMISSIONS, Principal

__all__ = ["PERMISSIONS", "Principal"]
