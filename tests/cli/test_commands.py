"""The command line as a user meets it: help, no configuration, the sandboxes alone, the demo's screenshot."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import ROOT


def hoststand(*args: str, env: dict | None = None, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    # the child never sees the user's real keyring: keyring's documented switch selects the null backend
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hoststand", *args], capture_output=True, text=True, timeout=timeout, env=full_env,
        stdin=subprocess.DEVNULL, cwd=ROOT, **kw,
    )


def test_help_documents_every_command():
    out = hoststand("--help")
    assert out.returncode == 0
    for command in ("run", "demo", "sandbox", "set-secret", "check", "init"):
        assert command in out.stdout
    demo = hoststand("demo", "--help")
    assert "--screenshot" in demo.stdout and "--speed" in demo.stdout


def test_without_configuration_it_explains_what_to_do_without_a_traceback():
    out = hoststand()
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert "No configuration file" in out.stderr and "hoststand demo" in out.stderr


def test_init_writes_a_configuration_without_secrets_and_check_reports_the_missing_ones(isolated_paths):
    assert hoststand("init").returncode == 0
    config = (isolated_paths / "hoststand-config.toml").read_text()
    assert "[booking]" in config and "client_secret" not in config
    out = hoststand("check")
    assert out.returncode != 0 and "Traceback" not in out.stderr + out.stdout
    assert "set-secret" in out.stdout or "keyring" in out.stdout.lower()


def test_a_secret_in_the_configuration_file_is_refused(isolated_paths):
    hoststand("init")
    path = isolated_paths / "hoststand-config.toml"
    path.write_text(path.read_text().replace('client_id = "your-client-id"\nrid', 'client_id = "x"\nclient_secret = "oops"\nrid', 1))
    out = hoststand()
    assert out.returncode != 0 and "secrets must not be kept" in out.stderr


def test_the_sandboxes_run_alone_and_print_their_urls(tmp_path):
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hoststand", "sandbox", "--booking", "opentable", "--pos", "toast", "--ready-file", str(ready)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while not (ready.exists() and ready.stat().st_size) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert set(info["urls"]) >= {"opentable", "toast", "admin"}
        token = httpx.post(
            info["urls"]["opentable"] + "/api/v2/oauth/token?grant_type=client_credentials",
            auth=(info["credentials"]["opentable"]["client_id"], info["credentials"]["opentable"]["client_secret"]),
        )
        assert token.status_code == 200 and token.json()["token_type"] == "bearer"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    assert info["urls"]["toast"] in out  # the URLs are printed for a person too


@pytest.mark.timeout(180)
def test_demo_screenshot_renders_the_window_after_the_first_sync_and_exits_0(tmp_path):
    png = tmp_path / "demo.png"
    out = hoststand("--data-dir", str(tmp_path / "data"), "demo", "--screenshot", str(png), timeout=150)
    assert out.returncode == 0, out.stderr[-2000:]
    assert png.exists() and png.stat().st_size > 20_000
    from PySide6.QtGui import QImage

    img = QImage(str(png))
    assert (img.width(), img.height()) == (1440, 900)


def test_the_demo_starts_its_sandboxes_with_the_bundle_itself_when_frozen(monkeypatch):
    """Found by building the PyInstaller bundle: `sys.executable -m hoststand` means nothing to a frozen app."""
    import sys

    from hoststand.demo import self_command

    assert self_command() == [sys.executable, "-m", "hoststand"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/hoststand/hoststand")
    assert self_command() == ["/opt/hoststand/hoststand"]
