"""The password policy (ASVS 5.0 6.2) and Argon2id hashing (argon2-cffi).

Policy: at least ``review.password_min_chars`` characters (8 by default), at most 1,024, not on
the bundled common-password list, not the username; no composition rules, spaces and any
Unicode allowed, never truncated.

Example:
    check_password("correct horse battery staple", settings.review)
    digest = hash_password("correct horse battery staple", settings.review)
    assert verify_password(digest, "correct horse battery staple", settings.review)
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from medcite.errors import WeakPasswordError
from medcite.settings import ReviewSettings

MAX_CHARS = 1024
"""Longest password accepted (ASVS asks for at least 64; the cap bounds hashing work)."""

COMMON_LIST = "common-passwords.txt.gz"
"""The bundled list, in ``medcite/review/rules/`` (source and licence in its README.md)."""


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled common passwords, lowercased."""
    path = resources.files("medcite.review") / "rules" / COMMON_LIST
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def check_password(password: str, policy: ReviewSettings, *, username: str = "") -> None:
    """Refuse a password that breaks the policy.

    Raises:
        WeakPasswordError: too short, too long, common, or the username itself.
    """
    if len(password) < policy.password_min_chars:
        raise WeakPasswordError(
            f"the password is too short: use at least {policy.password_min_chars} characters",
            hint="a few unrelated words make a long password that is easy to remember",
        )
    if len(password) > MAX_CHARS:
        raise WeakPasswordError(f"the password is too long: at most {MAX_CHARS} characters")
    if password.lower() in common_passwords():
        raise WeakPasswordError(
            "this password is on the list of common passwords", hint="choose another one"
        )
    if username and password.lower() == username.lower():
        raise WeakPasswordError("the password must not be the username")


@functools.cache
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=4)


def hasher(policy: ReviewSettings) -> PasswordHasher:
    """The Argon2id hasher the settings ask for."""
    return _hasher(policy.password_time_cost, policy.password_memory_kib)


def hash_password(password: str, policy: ReviewSettings) -> str:
    """An Argon2id hash (PHC string, random salt) of ``password``."""
    return hasher(policy).hash(password)


def verify_password(password_hash: str, password: str, policy: ReviewSettings) -> bool:
    """True when ``password`` matches ``password_hash``; never raises on a bad hash."""
    try:
        return hasher(policy).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, policy: ReviewSettings) -> bool:
    """True when the hash was made with other parameters than the settings now ask for."""
    try:
        return hasher(policy).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@functools.cache
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash("not a password: equalises login timing")


def dummy_hash(policy: ReviewSettings) -> str:
    """A hash to check against when the username is unknown, so both cases take as long."""
    return _dummy_hash(policy.password_time_cost, policy.password_memory_kib)
