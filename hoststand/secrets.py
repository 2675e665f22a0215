"""Credentials in the OS keyring (Keychain, Windows Credential Locker, Secret Service / KWallet).

Secrets never go to files or logs. Where no usable keyring backend exists (a bare Linux box without a
Secret Service), every call raises `KeyringUnavailable` with a message that says what to install, instead
of silently falling back to plain text.
"""

from __future__ import annotations

import keyring
import keyring.errors
from keyring.backends import fail

SERVICE = "hoststand"


class KeyringUnavailable(Exception):
    pass


class SecretMissing(Exception):
    pass


_HOW_TO = (
    "No OS keyring is available to hold hoststand's credentials. On Linux install and unlock a Secret Service "
    "(GNOME Keyring or KWallet); on macOS and Windows the system keychain is used automatically. "
    "The demo (`hoststand demo`) needs no credentials."
)


def _backend():
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        raise KeyringUnavailable(_HOW_TO)
    return backend


def keyring_description() -> str:
    try:
        backend = _backend()
    except KeyringUnavailable as exc:
        return str(exc)
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _username(role: str, kind: str, client_id: str) -> str:
    return f"{role}:{kind}:{client_id}"


def get_secret(role: str, kind: str, client_id: str) -> str:
    backend = _backend()
    try:
        value = backend.get_password(SERVICE, _username(role, kind, client_id))
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(f"The OS keyring refused to answer ({type(exc).__name__}). {_HOW_TO}") from exc
    if not value:
        raise SecretMissing(
            f"No {kind} client secret is stored for client id '{client_id}'. Run `hoststand set-secret {role}` "
            f"to store it in the OS keyring."
        )
    return value


def set_secret(role: str, kind: str, client_id: str, secret: str) -> None:
    if not secret:
        raise ValueError("An empty secret was not stored.")
    backend = _backend()
    try:
        backend.set_password(SERVICE, _username(role, kind, client_id), secret)
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(f"The OS keyring refused to store the secret ({type(exc).__name__}). {_HOW_TO}") from exc


def delete_secret(role: str, kind: str, client_id: str) -> None:
    backend = _backend()
    try:
        backend.delete_password(SERVICE, _username(role, kind, client_id))
    except keyring.errors.PasswordDeleteError:
        pass
