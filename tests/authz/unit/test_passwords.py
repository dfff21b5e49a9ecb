"""Passwords are stored as argon2id hashes and checked against them, never compared in clear."""

from __future__ import annotations

from authz.passwords import hash_password, verify_password


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("imoox-demo-password")
    assert stored.startswith("$argon2id$")
    assert "imoox-demo-password" not in stored
    assert verify_password(stored, "imoox-demo-password")
    assert not verify_password(stored, "imoox-demo-passwore")


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("same") != hash_password("same")


def test_a_damaged_hash_verifies_nothing() -> None:
    assert not verify_password("not-a-hash", "anything")
    assert not verify_password("", "")
