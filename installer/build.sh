#!/usr/bin/env bash
# Build a self-contained hoststand folder (dist/hoststand/) with PyInstaller, then smoke-test it:
# the bundle must print its help and render the demo offscreen.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-build
.venv-build/bin/pip install -q -e . "pyinstaller>=6"
.venv-build/bin/pyinstaller --noconfirm --clean --distpath dist --workpath build installer/hoststand.spec
./dist/hoststand/hoststand --help >/dev/null
QT_QPA_PLATFORM=offscreen ./dist/hoststand/hoststand demo --screenshot dist/demo-from-bundle.png
echo "built dist/hoststand/ (smoke test: dist/demo-from-bundle.png)"
