"""A keyring backend for the start-up benchmark only: it hands out the sandbox's demo secrets.

Selected with keyring's documented `PYTHON_KEYRING_BACKEND` switch, so the app's real keyring code path runs.
"""

from __future__ import annotations

import os

import keyring.backend


class BenchKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        booking, pos = os.environ["BENCH_SECRETS"].split(",")
        return booking if username.startswith("booking:") else pos

    def set_password(self, service, username, password):
        raise RuntimeError("read-only benchmark keyring")

    def delete_password(self, service, username):
        raise RuntimeError("read-only benchmark keyring")
