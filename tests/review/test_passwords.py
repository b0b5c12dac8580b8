"""R-SEC-10: the password policy (ASVS 6.2) and Argon2id hashing."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest
from review_kit import fast_review

from medcite.errors import WeakPasswordError
from medcite.review import passwords

POLICY = fast_review()
LIST_SHA256 = "3c1baed62596de36860824eb3f436d5932d37ca8b06e59df78f5a44ec175afe4"


def test_R_SEC_10_the_common_password_list_is_shipped_in_the_package() -> None:
    shipped = resources.files("medcite.review") / "rules" / passwords.COMMON_LIST
    assert hashlib.sha256(shipped.read_bytes()).hexdigest() == LIST_SHA256  # see its README
    common = passwords.common_passwords()
    assert len(common) >= 3000
    assert {"password", "123456", "qwerty", "iloveyou", "password1"} <= common


@pytest.mark.parametrize("common", ["password1", "Password1", "iloveyou", "1q2w3e4r5t",
                                    "qwertyuiop", "baseball1"])
def test_R_SEC_10_common_passwords_are_refused_in_any_case(common: str) -> None:
    with pytest.raises(WeakPasswordError, match="common"):
        passwords.check_password(common, POLICY)


def test_R_SEC_10_seven_characters_are_refused_and_eight_accepted() -> None:
    with pytest.raises(WeakPasswordError, match="at least 8") as refused:
        passwords.check_password("tq7#vz9", POLICY)
    assert refused.value.status == 422
    passwords.check_password("tq7#vz9k", POLICY)


@pytest.mark.parametrize("length", [64, 200, 1024])
def test_R_SEC_10_long_passphrases_are_allowed(length: int) -> None:
    phrase = ("correct horse battery staple " * 40)[:length]
    passwords.check_password(phrase, POLICY)
    digest = passwords.hash_password(phrase, POLICY)
    assert passwords.verify_password(digest, phrase, POLICY)
    assert not passwords.verify_password(digest, phrase[:-1] + "!", POLICY)  # no truncation


def test_passwords_over_the_cap_or_equal_to_the_username_are_refused() -> None:
    with pytest.raises(WeakPasswordError, match="too long"):
        passwords.check_password("x" * 1025, POLICY)
    with pytest.raises(WeakPasswordError, match="username"):
        passwords.check_password("Dr.Watson221b", POLICY, username="dr.watson221b")


def test_no_composition_rules_spaces_and_unicode_are_fine() -> None:
    passwords.check_password("ünïcode pässwörd ✓", POLICY)
    passwords.check_password("alllowercaseletters", POLICY)


def test_hashes_are_salted_argon2id_and_bad_hashes_never_verify() -> None:
    first = passwords.hash_password("plum orchard at dusk", POLICY)
    second = passwords.hash_password("plum orchard at dusk", POLICY)
    assert first.startswith("$argon2id$") and first != second
    assert "m=19456,t=2" in first
    assert not passwords.verify_password("not a hash", "plum orchard at dusk", POLICY)


def test_a_hash_made_with_weaker_settings_needs_a_rehash() -> None:
    digest = passwords.hash_password("plum orchard at dusk", POLICY)
    assert not passwords.needs_rehash(digest, POLICY)
    assert passwords.needs_rehash(digest, fast_review(password_time_cost=3))
