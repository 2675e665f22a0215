"""SandboxServer as a process component: ports, lifecycle, own clock, the CLI, and its import boundary."""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

import hoststand.sandbox as sandbox_pkg
from hoststand.sandbox.server import SandboxServer, SeedOptions

from .helpers import http, local, ot_token

REPO = Path(__file__).resolve().parents[3]


def _refused(url: str) -> bool:
    try:
        http.get(f"{url}/_sandbox/info", timeout=1.0)
    except httpx.ConnectError:
        return True
    return False


def test_each_vendor_on_its_own_port_plus_admin(sandbox: SandboxServer) -> None:
    urls = sandbox.urls
    assert set(urls) == {"opentable", "toast", "admin"}
    ports = {url.rsplit(":", 1)[1] for url in urls.values()}
    assert len(ports) == 3
    assert all(url.startswith("http://127.0.0.1:") for url in urls.values())
    for url in urls.values():  # the admin API answers on every port
        info = http.get(f"{url}/_sandbox/info").json()
        assert info["urls"] == urls
    # a vendor path is not served on the admin port
    assert http.get(f"{urls['admin']}/sync/v2/reservations").status_code == 404


def test_credentials_shape(sandbox: SandboxServer) -> None:
    creds = sandbox.credentials
    assert creds["opentable"]["rid"] == 424242
    assert {"client_id", "client_secret"} <= set(creds["opentable"])
    assert {"client_id", "client_secret", "restaurant_guid"} <= set(creds["toast"])
    assert creds["toast"]["restaurant_guid"] == sandbox.state()["toast"]["restaurant_guid"]


def test_start_stop_many_quickly_and_ports_are_released() -> None:
    began = time.perf_counter()
    for _ in range(5):
        with SandboxServer(seed=SeedOptions(now=local(16))) as srv:
            urls = srv.urls
            assert http.get(f"{urls['toast']}/_sandbox/info").status_code == 200
        for url in urls.values():
            assert _refused(url)
    elapsed = time.perf_counter() - began
    print(f"5 start/stop cycles: {elapsed:.2f} s")


def test_port_base_assigns_fixed_ports() -> None:
    with socket.socket() as probe:  # find three free consecutive ports (best effort)
        probe.bind(("127.0.0.1", 0))
        base = probe.getsockname()[1]
    if base > 65000:
        base -= 1000
    try:
        srv = SandboxServer(seed=SeedOptions(now=local(16)), port_base=base).start()
    except RuntimeError:
        pytest.skip("consecutive ports not free")
    try:
        assert srv.urls == {"opentable": f"http://127.0.0.1:{base}", "toast": f"http://127.0.0.1:{base + 1}",
                            "admin": f"http://127.0.0.1:{base + 2}"}
    finally:
        srv.stop()


def test_only_one_vendor_and_unknown_vendors() -> None:
    with SandboxServer(booking=None, pos="toast", seed=SeedOptions(now=local(16))) as srv:
        assert set(srv.urls) == {"toast", "admin"}
        assert set(srv.credentials) == {"toast"}
    with pytest.raises(ValueError):
        SandboxServer(booking="resy")
    with pytest.raises(ValueError):
        SandboxServer(pos="square")


def test_own_clock_starts_at_seed_now_and_can_be_set_over_admin() -> None:
    with SandboxServer(seed=SeedOptions(now=local(18)), speed=60.0) as srv:
        first = srv.now()
        assert abs((first - local(18)).total_seconds()) < 60
        time.sleep(0.1)
        assert srv.now() > first + timedelta(seconds=3)  # 60x faster than the wall clock
        r = http.post(f"{srv.urls['admin']}/_sandbox/clock", json={"now": "2026-11-27T22:00:00-05:00", "factor": 0})
        assert r.status_code == 200
        assert r.json()["factor"] == 0
        assert srv.now() == local(22)


def test_clock_endpoint_refuses_when_a_clock_is_injected(sandbox: SandboxServer) -> None:
    r = http.post(f"{sandbox.urls['admin']}/_sandbox/clock", json={"factor": 2})
    assert r.status_code == 409
    assert http.get(f"{sandbox.urls['admin']}/_sandbox/clock").json()["kind"] == "external"


def test_scaled_clock_anchor_lets_another_process_follow() -> None:
    anchor = time.time() - 10.0  # the app started the night 10 wall seconds ago at 19:00, 30x speed
    with SandboxServer(seed=SeedOptions(now=None), start=local(19), speed=30.0, anchor_wall=anchor) as srv:
        expected = local(19) + timedelta(seconds=(time.time() - anchor) * 30.0)
        assert abs((srv.now() - expected).total_seconds()) < 5
        # seeded at the clock's current time, not at --start
        assert srv.state()["seeded_at"] >= "2026-11-28T00:04"


def test_cli_main_writes_ready_file_and_stops_on_sigterm(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hoststand.sandbox", "--booking", "opentable", "--pos", "toast", "--port-base", "0",
         "--start", "2026-11-27T19:00:00-05:00", "--speed", "1", "--anchor-wall", str(time.time()),
         "--ready-file", str(ready)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(REPO))
    try:
        deadline = time.time() + 20
        while not ready.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert ready.exists(), proc.stderr.read() if proc.poll() is not None else "no ready file"
        info = json.loads(ready.read_text())
        assert set(info["urls"]) == {"opentable", "toast", "admin"}
        assert info["credentials"]["opentable"]["rid"] == 424242
        srv_like = type("S", (), {"urls": info["urls"], "credentials": info["credentials"]})()
        assert ot_token(srv_like)  # type: ignore[arg-type]
        state = http.get(f"{info['urls']['admin']}/_sandbox/state").json()
        assert state["sandbox"]["clock"]["kind"] == "sandbox"
        assert state["service_date"] == "2026-11-27"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "opentable: http://127.0.0.1:" in out
    assert "client_secret" in out
    for url in info["urls"].values():
        assert _refused(url)


def test_sandbox_imports_nothing_else_from_hoststand() -> None:
    root = Path(sandbox_pkg.__file__).parent
    offenders = []
    for path in sorted(root.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.level > 1:
                names = ["hoststand (relative, above sandbox)"]
            for name in names:
                if name.startswith("hoststand") and not name.startswith("hoststand.sandbox"):
                    offenders.append(f"{path.name}: {name}")
                if name.split(".")[0] in ("PySide6", "sqlmodel", "sqlalchemy"):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_every_sandbox_module_says_its_role() -> None:
    root = Path(sandbox_pkg.__file__).parent
    for path in sorted(root.glob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and len(doc) > 30, f"{path.name} lacks a module docstring"
