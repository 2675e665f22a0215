"""Command line: `hoststand` (the app), `hoststand demo`, `hoststand sandbox`, `hoststand set-secret`, ….

Every command fails with a plain message and a non-zero exit code, never a traceback, on a problem the user
can fix (no configuration, a missing secret, no keyring, a damaged cache). Qt is imported only by the
commands that open a window.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import logging
import sys
from pathlib import Path

from hoststand import __version__

EXIT_USAGE = 2
EXIT_CONFIG = 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hoststand",
        description=(
            "The host stand of a restaurant: tonight's reservations from the booking platform on a live floor plan, "
            "one-click check-in that opens the POS ticket with the guest's allergies first."
        ),
        epilog="Run `hoststand demo` to see it work against local sandboxes, with no account.",
    )
    p.add_argument("--version", action="version", version=f"hoststand {__version__}")
    p.add_argument("--config", type=Path, help="configuration file (default: $HOSTSTAND_CONFIG or the user config dir)")
    p.add_argument("--data-dir", type=Path, help="where the cache lives (default: $HOSTSTAND_DATA_DIR or the user data dir)")
    p.add_argument("-v", "--verbose", action="store_true", help="log more (never guest data)")
    p.add_argument("--sync-in-process", action="store_true",
                   help="run the sync engine in the app's own process instead of its own (for debugging: big pulls "
                        "may then make the screen stutter)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("run", help="open the host stand with your configuration (the default command)")

    d = sub.add_parser("demo", help="start local OpenTable and Toast sandboxes and open the app against them")
    d.add_argument("--screenshot", type=Path, metavar="PATH", help="render the main window offscreen after the first sync, save a PNG and exit")
    d.add_argument("--speed", type=float, default=1.0, help="how fast simulated time runs (default 1.0)")
    d.add_argument("--start", default="19:10", metavar="HH:MM", help="simulated local time the evening starts at (default 19:10)")
    d.add_argument("--size", default="1440x900", metavar="WxH", help="window size for --screenshot (default 1440x900)")
    d.add_argument("--no-drive", action="store_true", help="keep the POS sandbox still (no simulated servers or walk-ins)")
    d.add_argument("--page", default="host", choices=["host", "waitlist", "pacing", "queue", "conflicts", "report"],
                   help="the screen to show (with --screenshot: the one rendered)")

    sb = sub.add_parser("sandbox", help="run the vendor sandboxes alone and print their base URLs")
    sb.add_argument("--booking", default="opentable", choices=["opentable"], help="booking platform to simulate")
    sb.add_argument("--pos", default="toast", choices=["toast"], help="POS to simulate")
    sb.add_argument("--port-base", type=int, default=0, help="first port to use (default: any free ports)")
    sb.add_argument("--start", metavar="ISO", help="simulated time to start at (default: now)")
    sb.add_argument("--speed", type=float, default=1.0, help="simulated time factor")
    sb.add_argument("--anchor-wall", type=float, help=argparse.SUPPRESS)
    sb.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    sb.add_argument("--seed", type=int, default=7, help="seed of the demo restaurant (default 7)")
    sb.add_argument("--drive", action="store_true", help="let the POS sandbox play the servers (courses, checks, walk-ins)")
    sb.add_argument("--walk-ins-per-hour", type=float, help="walk-ins the servers open by themselves (default 4 with --drive)")

    ss = sub.add_parser("set-secret", help="store a vendor client secret in the OS keyring")
    ss.add_argument("role", choices=["booking", "pos"], help="which connector's secret")

    sh = sub.add_parser("sheet", help="print tonight's fallback sheet (a PDF) from the cache, with no network")
    sh.add_argument("path", type=Path, metavar="PATH.pdf", help="where to write the PDF")
    sh.add_argument("--demo", action="store_true", help="the demo's cache instead of your restaurant's")

    sub.add_parser("check", help="check the configuration, the keyring and the cache, and say what is wrong")
    sub.add_parser("init", help="write an example configuration file to edit")
    sub.add_parser("sync-worker")  # no help: the app starts it (sync/process.py), a person never does
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    command = args.command or "run"
    try:
        if command == "run":
            return _run(args)
        if command == "demo":
            from hoststand.demo import run_demo

            return run_demo(args)
        if command == "sandbox":
            return _sandbox(args)
        if command == "set-secret":
            return _set_secret(args)
        if command == "sheet":
            return _sheet(args)
        if command == "check":
            return _check(args)
        if command == "init":
            return _init(args)
        if command == "sync-worker":
            from hoststand.sync.process import child_main

            return child_main()
    except KeyboardInterrupt:
        return 130
    _parser().print_help()
    return EXIT_USAGE


def _fail(message: str, code: int = EXIT_CONFIG) -> int:
    print(f"hoststand: {message}", file=sys.stderr)
    return code


def _run(args) -> int:
    # No garbage collection until the window is up: start-up creates over 100,000 objects the collector tracks,
    # nearly all of them for good (modules, classes, SQLAlchemy's and Qt's tables), and it would walk them over
    # and over before the first paint (some 240 passes, a full one among them: 0.1-0.15 s). Reference counting
    # still frees what start-up drops; `app.tune_runtime` collects and turns the collector back on once the
    # window is up.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_app(args)
    finally:
        if enabled:
            gc.enable()


def _run_app(args) -> int:
    from hoststand.config import ConfigError, default_config_path, load_config

    path = args.config or default_config_path()
    try:
        config = load_config(path)
    except ConfigError as exc:
        return _fail(
            f"{exc}\n\n"
            f"To try hoststand without any account, run:  hoststand demo\n"
            f"To set it up for your restaurant:            hoststand init   (then edit {path})\n"
            f"                                             hoststand set-secret booking\n"
            f"                                             hoststand set-secret pos"
        )
    from hoststand.app import AppError, run_app

    try:
        return run_app(config, data_dir=args.data_dir, sync_in_process=args.sync_in_process)
    except AppError as exc:
        return _fail(str(exc))


def _sandbox(args) -> int:
    from hoststand.sandbox.server import main as sandbox_main

    argv = ["--booking", args.booking, "--pos", args.pos, "--port-base", str(args.port_base), "--speed", str(args.speed),
            "--seed", str(args.seed)]
    if args.start:
        argv += ["--start", args.start]
    if args.anchor_wall is not None:
        argv += ["--anchor-wall", str(args.anchor_wall)]
    if args.ready_file:
        argv += ["--ready-file", str(args.ready_file)]
    if args.drive:
        argv += ["--drive"]
    if args.walk_ins_per_hour is not None:
        argv += ["--walk-ins-per-hour", str(args.walk_ins_per_hour)]
    return sandbox_main(argv) or 0


def _sheet(args) -> int:
    from hoststand.sheet import SheetError, write_fallback_sheet

    try:
        written = write_fallback_sheet(args.path, demo=args.demo, config_path=args.config, data_dir=args.data_dir)
    except SheetError as exc:
        return _fail(str(exc))
    print(written.message)
    return 0


def _set_secret(args) -> int:
    from hoststand.config import ConfigError, load_config
    from hoststand.secrets import KeyringUnavailable, set_secret

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return _fail(f"{exc} Run `hoststand init` first.")
    conn = config.booking if args.role == "booking" else config.pos
    if not sys.stdin.isatty():
        secret = sys.stdin.readline().strip()
    else:
        secret = getpass.getpass(f"{conn.kind} client secret for client id {conn.client_id}: ").strip()
    if not secret:
        return _fail("No secret given; nothing stored.", EXIT_USAGE)
    try:
        set_secret(args.role, conn.kind, conn.client_id, secret)
    except KeyringUnavailable as exc:
        return _fail(str(exc))
    print(f"Stored the {conn.kind} secret in the OS keyring.")
    return 0


def _check(args) -> int:
    from hoststand.config import ConfigError, default_data_dir, load_config
    from hoststand.secrets import KeyringUnavailable, SecretMissing, get_secret, keyring_description

    problems = 0
    try:
        config = load_config(args.config)
        print(f"configuration: ok ({config.source})")
    except ConfigError as exc:
        print(f"configuration: {exc}")
        return EXIT_CONFIG
    print(f"keyring: {keyring_description()}")
    for role, conn in (("booking", config.booking), ("pos", config.pos)):
        try:
            get_secret(role, conn.kind, conn.client_id)
            print(f"{role} secret: stored")
        except (KeyringUnavailable, SecretMissing) as exc:
            print(f"{role} secret: {exc}")
            problems += 1
    data_dir = args.data_dir or default_data_dir()
    print(f"data directory: {data_dir}")
    return 0 if problems == 0 else EXIT_CONFIG


def _init(args) -> int:
    from hoststand.config import EXAMPLE, default_config_path

    path = args.config or default_config_path()
    if path.exists():
        return _fail(f"{path} already exists; not overwritten.", EXIT_USAGE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EXAMPLE, encoding="utf-8")
    print(f"Wrote {path}. Edit it, then store the secrets with `hoststand set-secret booking` and `hoststand set-secret pos`.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
