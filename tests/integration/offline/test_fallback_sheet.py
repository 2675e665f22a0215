"""`hoststand sheet PATH.pdf`: the fallback sheet from the cache alone, with both APIs down (the sandboxes are
gone), in a real subprocess; and a plain message when there is no cache to print from."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pytest

from hoststand.services.operations import OperationsService
from tests.cli.test_commands import hoststand
from tests.integration.sync.conftest import make_night

pytestmark = pytest.mark.anyio


async def test_the_sheet_prints_from_the_demo_cache_with_both_apis_down(tmp_path, isolated_paths):
    night = make_night(tmp_path / "night")
    core = night.core
    try:
        await core.engine.puller.pull_all()
        ops = OperationsService(core.store, layout=core.layout, settings=core.settings, clock=core.clock, bus=core.bus)
        expected = ops.fallback_sheet()
    finally:
        await core.engine.booking.aclose()
        await core.engine.pos.aclose()
        core.store.close()
        night.sandbox.stop()  # both APIs are gone for good
    data_dir = isolated_paths / "hoststand-data"
    (data_dir / "demo").mkdir(parents=True)
    shutil.copy(tmp_path / "night" / "cache.sqlite", data_dir / "demo" / "hoststand.sqlite")

    out = hoststand("sheet", str(tmp_path / "crash-kit.pdf"), "--demo")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    pdf = tmp_path / "crash-kit.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert f"{len(expected.parties)} parties for Friday 27 November" in out.stdout
    with_allergy = [p for p in expected.parties if p.allergy_words]
    assert with_allergy, "the demo night has guests who wrote about an allergy"
    if shutil.which("pdftotext"):
        raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        text = " ".join(unicodedata.normalize("NFKC", raw).split())  # the PDF's "ﬁ" ligatures read as "fi"
        words = set(text.replace("“", " ").replace("”", " ").split())
        for p in with_allergy:  # every word the guest wrote is on the sheet (a cell wraps across lines)
            missing = [w for w in p.allergy_words.replace("“", " ").replace("”", " ").split() if w not in words]
            assert not missing, (p.allergy_words, missing)


def test_without_a_cache_the_sheet_says_what_to_do(tmp_path):
    out = hoststand("sheet", str(tmp_path / "x.pdf"), "--demo")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "No cache at" in out.stderr and "hoststand demo" in out.stderr
    out = hoststand("sheet", str(tmp_path / "x.pdf"))
    assert out.returncode != 0 and "No configuration file" in out.stderr and "--demo" in out.stderr
    assert not (tmp_path / "x.pdf").exists()
