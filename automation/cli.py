"""Command line (SPEC section 5): init, once, run, check, demo, report."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import schedule
from filelock import FileLock, Timeout

from automation import config as config_module
from automation import health
from automation.config import Config, ConfigError
from automation.core.entry import HeaderError, locate_headers
from automation.cycle import CycleReport
from automation.notify.channels import channels_from
from automation.ports import AdapterError
from automation.service import Service
from automation.workspace import open_store, open_workspace, rules_of

log = logging.getLogger("automation")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def _setup_logging(cfg: Config | None, verbose: bool, quiet: bool = False) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not root.handlers:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(fmt)
        root.addHandler(console)
    if cfg is not None:
        logs = cfg.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        file = logging.handlers.RotatingFileHandler(logs / "agenda.log", maxBytes=5_000_000,
                                                    backupCount=5, encoding="utf-8")
        file.setFormatter(fmt)
        root.addHandler(file)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _lock(cfg: Config) -> FileLock:
    """One instance per state folder: two cycles at once could publish twice."""
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(cfg.state_dir / "agenda.lock", timeout=0)


def _print_report(report: CycleReport, dry_run: bool) -> None:
    if report.idle:
        print("Agenda unchanged since the last cycle: nothing to do.")
        return
    prefix = "[dry run] " if dry_run else ""
    for row in report.changed:
        print(prefix + row.line())
    print(f"{prefix}{report.rows} rows read, {len(report.changed)} changed.")
    if report.write_error:
        print(f"Write-back postponed to the next cycle: {report.write_error}")
    if report.missed_writes:
        print(f"{len(report.missed_writes)} row(s) moved or vanished before writing; "
              "they are written next cycle.")


def cmd_once(cfg: Config, args: argparse.Namespace) -> int:
    try:
        with _lock(cfg):
            report = Service(cfg).tick(_now(), dry_run=args.dry_run)
    except Timeout:
        print(f"Another instance is already running for state folder {cfg.state_dir}.",
              file=sys.stderr)
        return EXIT_FAILED
    except HeaderError as err:
        print(f"The cycle could not run: agenda header problem: {err}", file=sys.stderr)
        return EXIT_FAILED
    except AdapterError as err:
        print(f"The cycle could not run: {err}", file=sys.stderr)
        return EXIT_FAILED
    _print_report(report, args.dry_run)
    return EXIT_OK


def cmd_run(cfg: Config, args: argparse.Namespace) -> int:
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True
        log.info("signal %s received: finishing the row in hand, then stopping", signum)

    signal.signal(signal.SIGINT, on_signal)
    # SIGTERM: systemd's stop; SIGBREAK: Ctrl+Break, which Windows service wrappers can send.
    for name in ("SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), on_signal)
    try:
        with _lock(cfg):
            service = Service(cfg, heartbeat=True)

            def cycle() -> None:
                # Adapters are opened afresh each cycle: what they look up once (WordPress
                # categories, the agenda's last read) is never older than one cycle.
                try:
                    report = service.tick(_now(), stop=lambda: stopping)
                    if not report.idle:
                        log.info("cycle: %d rows, %d changed", report.rows, len(report.changed))
                except (HeaderError, AdapterError) as err:
                    log.error("cycle could not run: %s", err)
                except Exception:  # the loop must outlive any one cycle
                    log.exception("cycle failed unexpectedly")

            # `schedule` runs jobs in this thread: a slow cycle delays the next one, never piles up.
            schedule.every(cfg.poll_interval_seconds).seconds.do(cycle)
            cycle()
            while not stopping:
                schedule.run_pending()
                time.sleep(0.2)
            schedule.clear()
    except Timeout:
        print(f"Another instance is already running for state folder {cfg.state_dir}.",
              file=sys.stderr)
        return EXIT_FAILED
    log.info("stopped")
    return EXIT_OK


def cmd_check(cfg: Config, args: argparse.Namespace) -> int:
    problems: list[str] = []
    store = open_store(cfg)
    store_problems = store.check()
    problems += store_problems
    if not store_problems:
        try:
            locate_headers(store.read().header, rules_of(cfg))
        except (HeaderError, AdapterError) as err:
            problems.append(f"agenda headers: {err}")
    try:
        ws = open_workspace(cfg)
    except AdapterError as err:
        problems.append(str(err))
    else:
        try:
            problems += ws.media.check()
            problems += ws.publisher.check()
            heartbeat = health.stale(ws.ledger, cfg, _now())
            if heartbeat:
                problems.append(heartbeat)
        finally:
            ws.close()
    channels, channel_problems = channels_from(cfg.notify, os.environ)
    problems += channel_problems
    for channel in channels.values():
        problems += channel.check()
    print(f"Configuration {cfg.source}: OK")
    if cfg.agenda.backend == "google" or cfg.media.backend == "drive":
        from automation.google_api import service_account_email
        email = service_account_email(cfg.agenda.credentials_file) or "(unreadable key file)"
        print(f"Service account: {email} (share the spreadsheet as Editor and the media "
              "folders as Viewer with it)")
    if problems:
        for p in problems:
            print(f"PROBLEM: {p}")
        return EXIT_FAILED
    website = cfg.website.url if cfg.website.backend == "wordpress" else cfg.website.output_dir
    print(f"Agenda {cfg.agenda.path}: reachable, headers right")
    print(f"Media folder {cfg.media.base_dir}: readable")
    print(f"Website ({cfg.website.backend}) {website}: reachable, may publish")
    if channels:
        print(f"Notifications ({', '.join(sorted(channels))}): reachable")
    print("All well.")
    return EXIT_OK


def cmd_init(cfg: Config, args: argparse.Namespace) -> int:
    from automation.agenda.template import write_template

    if cfg.agenda.backend == "google":
        from automation.agenda.google_init import init_google
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        return init_google(cfg, out=print, err=lambda text: print(text, file=sys.stderr))
    path = cfg.agenda.path
    for folder in (cfg.state_dir, cfg.media.base_dir):
        folder.mkdir(parents=True, exist_ok=True)
    if path.exists():
        problems = open_store(cfg).check()
        if not problems:
            try:
                locate_headers(open_store(cfg).read().header, rules_of(cfg))
            except (HeaderError, AdapterError) as err:
                problems.append(str(err))
        if problems:
            print(f"Refused: {path} exists and is not a usable agenda; it is left untouched.",
                  file=sys.stderr)
            for p in problems:
                print(f"  - {p}", file=sys.stderr)
            print("Fix the file by hand, or move it away and run init again.", file=sys.stderr)
            return EXIT_FAILED
        print(f"{path} already exists and is ready; nothing changed.")
        return EXIT_OK
    path.parent.mkdir(parents=True, exist_ok=True)
    write_template(path, approval_columns=cfg.approval.columns, news_types=cfg.agenda.news_types,
                   worksheet=cfg.agenda.worksheet)
    print(f"Created {path} from the template. Share it with the staff and officials.")
    return EXIT_OK


def cmd_report(cfg: Config, args: argparse.Namespace) -> int:
    from automation.report import make_report, parse_month

    try:
        year, month = parse_month(args.month)
    except ValueError as err:
        print(str(err), file=sys.stderr)
        return EXIT_CONFIG
    try:
        result = make_report(cfg, year, month, _now())
    except HeaderError as err:
        print(f"The recap could not be made: agenda header problem: {err}", file=sys.stderr)
        return EXIT_FAILED
    except (AdapterError, OSError) as err:
        print(f"The recap could not be made: {err}", file=sys.stderr)
        return EXIT_FAILED
    also = "" if result.sheet_error else " and to worksheet 'Rekap' in the agenda"
    print(f"Recap of {year:04d}-{month:02d} written to {result.path}{also}")
    for line in result.summary():
        print(line)
    if result.sheet_error:
        print(f"Worksheet 'Rekap' in the agenda could not be updated: {result.sheet_error}",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from automation.demo import run_demo

    return run_demo(Path(args.dir), _now())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py", description="Buku Agenda -> Website: publishes approved press releases.")
    parser.add_argument("--config", default="config.toml", type=Path,
                        help="configuration file (default: config.toml here)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("init", help="create the agenda from the template (never overwrites data)")
    once = sub.add_parser("once", help="run one cycle")
    once.add_argument("--dry-run", action="store_true", help="write and publish nothing")
    sub.add_parser("run", help="run cycles every poll_interval_seconds until stopped")
    sub.add_parser("check", help="preflight of everything the configuration names")
    demo = sub.add_parser("demo", help="create a self-contained demo workspace and run one cycle")
    demo.add_argument("dir", nargs="?", default="demo", help="folder to create (default: demo)")
    report = sub.add_parser("report", help="monthly recap: reports/rekap-YYYY-MM.xlsx and "
                            "worksheet 'Rekap' in the agenda")
    report.add_argument("--month", required=True, metavar="YYYY-MM", help="e.g. 2026-11")
    return parser


COMMANDS = {"init": cmd_init, "once": cmd_once, "run": cmd_run, "check": cmd_check,
            "report": cmd_report}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        _setup_logging(None, args.verbose, quiet=True)    # the demo prints its own summary
        return cmd_demo(args)
    try:
        cfg = config_module.load(args.config)
    except ConfigError as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return EXIT_CONFIG
    _setup_logging(cfg, args.verbose)
    try:
        return COMMANDS[args.command](cfg, args)
    except NotImplementedError as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return EXIT_CONFIG
