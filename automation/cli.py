"""Command line (SPEC section 5): init, once, run, check, demo, report."""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Iterator

import schedule
from filelock import FileLock, Timeout

import automation
from automation import config as config_module
from automation import health
from automation.config import Config, ConfigError
from automation.core.entry import HeaderError, locate_headers
from automation.cycle import Cycle, CycleReport
from automation.dry_run import MEMORY, copy_ledger_into, dry_workspace
from automation.ledger import Ledger
from automation.media import ffmpeg
from automation.notify.channels import channels_from
from automation.ports import AdapterError
from automation.service import Service
from automation.workspace import open_store, open_workspace, rules_of

log = logging.getLogger("automation")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class OfficeTimeFormatter(logging.Formatter):
    """Log times in the office's time zone, with its abbreviation: `2026-12-01 15:04:05 WITA`
    (an administrator in another zone, or a server on UTC, still reads office time)."""

    def __init__(self, fmt: str, tz: tzinfo | None = None):
        super().__init__(fmt)
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        at = datetime.fromtimestamp(record.created, timezone.utc).astimezone(self.tz)
        return at.strftime(datefmt or "%Y-%m-%d %H:%M:%S %Z")


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _setup_logging(cfg: Config | None, verbose: bool, quiet: bool = False,
                   to_file: bool = True) -> None:
    """Console always; the file `state_dir/logs/agenda.log` when `to_file` (and a config)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    fmt = OfficeTimeFormatter(LOG_FORMAT, cfg.tz if cfg is not None else None)
    for old in [h for h in root.handlers if getattr(h, "_automation", False)]:
        root.removeHandler(old)             # main() called again in one process (tests)
        old.close()
    if not root.handlers:
        console = logging.StreamHandler(sys.stderr)
        console._automation = True          # type: ignore[attr-defined]
        console.setFormatter(fmt)
        root.addHandler(console)
    if cfg is not None and to_file:
        logs = cfg.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        file = logging.handlers.RotatingFileHandler(logs / "agenda.log", maxBytes=5_000_000,
                                                    backupCount=5, encoding="utf-8")
        file._automation = True             # type: ignore[attr-defined]
        file.setFormatter(fmt)
        root.addHandler(file)


def _now() -> datetime:
    return datetime.now(timezone.utc)


# -- commands printed for a person -------------------------------------------------------------

MAIN_PY = Path(automation.__file__).resolve().parent.parent / "main.py"


def _shown_path(path: str | Path) -> str:
    """`path` relative to the working directory when inside it, else absolute (never `..`)."""
    absolute = os.path.abspath(path)        # not resolve(): a venv's python is a symlink
    try:
        relative = os.path.relpath(absolute)
    except ValueError:                      # another drive (Windows)
        return absolute
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return absolute
    return relative if os.sep in relative or (os.altsep and os.altsep in relative) \
        else os.curdir + os.sep + relative


def command_line(*args: str | Path, config: str | Path | None = None) -> str:
    """A command a person can paste as printed: the interpreter that has the dependencies,
    this program's main.py, the config file as given, then `args`.

    `command_line("once", config="demo/config.toml")` gives
    `.venv/bin/python main.py --config demo/config.toml once` in the project folder.
    """
    words = [_shown_path(sys.executable) if sys.executable else "python"]
    if MAIN_PY.is_file():
        words.append(_shown_path(MAIN_PY).removeprefix(os.curdir + os.sep))
    else:                                   # installed without the source tree
        words += ["-m", "automation.cli"]
    if config is not None and str(config) != "config.toml":
        words += ["--config", str(config)]
    words += [str(a) for a in args]
    if sys.platform == "win32":
        return subprocess.list2cmdline(words)
    return shlex.join(words)


# "`python main.py init`" is a command to paste; "is `main.py run` running?" names a process.
_PROGRAM_COMMAND = re.compile(r"`python main\.py ([^`]*)`")


def _pasteable(text: str, cfg: Config | None) -> str:
    """Rewrite "`python main.py init`" in adapters' messages into a command that works here."""
    config = cfg.source if cfg is not None else None
    return _PROGRAM_COMMAND.sub(
        lambda m: "`" + command_line(*shlex.split(m.group(1)), config=config) + "`", text)


# -- one instance per state folder -------------------------------------------------------------

class AlreadyRunning(Exception):
    """The state folder's lock is held; the message says by whom."""


def _lock_path(cfg: Config) -> Path:
    return cfg.state_dir / "agenda.lock"


def _owner_path(cfg: Config) -> Path:
    return cfg.state_dir / "agenda.lock.owner"


def _lock(cfg: Config) -> FileLock:
    """One instance per state folder: two cycles at once could publish twice."""
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(_lock_path(cfg), timeout=0)


def _lock_owner(cfg: Config) -> str:
    """Who holds the lock, from the file the holder wrote beside it."""
    try:
        owner = json.loads(_owner_path(cfg).read_text(encoding="utf-8"))
        started = datetime.fromisoformat(owner["started"]).astimezone(cfg.tz)
        return (f"PID {owner['pid']} on host {owner['host']} ({owner.get('command', '?')}), "
                f"started {started:%Y-%m-%d %H:%M:%S %Z}")
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not said who it is (starting up, or an older version)"


@contextmanager
def _instance(cfg: Config, command: str) -> Iterator[None]:
    """Hold the state folder's lock, with `agenda.lock.owner` saying who holds it."""
    lock = _lock(cfg)
    try:
        lock.acquire()
    except Timeout:
        raise AlreadyRunning(
            f"Another instance is already running for state folder {cfg.state_dir}: "
            f"{_lock_owner(cfg)}. Stop it first, or give this one its own state_dir.") from None
    owner = _owner_path(cfg)
    try:
        try:
            owner.write_text(json.dumps({"pid": os.getpid(), "host": platform.node(),
                                         "command": command, "started": _now().isoformat()}),
                             encoding="utf-8")
        except OSError as err:
            log.warning("could not write %s: %s", owner, err)
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


def _run_holder(cfg: Config) -> str | None:
    """Who holds the lock now (None: nobody); creates nothing, holds nothing."""
    path = _lock_path(cfg)
    if not path.exists():               # `run` and `once` create it: none has ever run here
        return None
    probe = FileLock(path, timeout=0)
    try:
        probe.acquire()
    except Timeout:
        return _lock_owner(cfg)
    except OSError as err:              # e.g. the lock file belongs to the service's user
        return f"unknown: {path} cannot be opened ({err.strerror}); run check as that user"
    probe.release()
    return None


# -- the ledger, read without changing or creating it ------------------------------------------

def _print_report(report: CycleReport, dry_run: bool) -> None:
    if report.idle:
        print("Agenda unchanged since the last cycle: nothing to do.")
        return
    prefix = "[dry run] " if dry_run else ""
    for row in report.changed:
        print(prefix + row.line())
    print(f"{prefix}{report.rows} rows read, {report.planned} looked at (the others unchanged), "
          f"{len(report.changed)} changed.")
    if report.write_error:
        print(f"Write-back postponed to the next cycle: {report.write_error}")
    if report.missed_writes:
        print(f"{len(report.missed_writes)} row(s) moved or vanished before writing; "
              "they are written next cycle.")
    if report.preparing:
        print(f"{report.preparing} approved row(s) wait for a video's conversion, which goes on "
              "in the background; a later cycle publishes them once it is done.")
    if report.postponed:
        print(f"{report.postponed} row(s) left exactly as they were, their media or document "
              "out of reach (an outage, not an edit); tried again next cycle:")
        for outage in report.outages:
            print(f"  - {outage}")


def _dry_run(cfg: Config, now: datetime) -> CycleReport:
    """A cycle that changes nothing, so it needs no lock and may run beside `run`."""
    with dry_workspace(cfg) as ws:
        return Cycle(ws, now).run()


def cmd_once(cfg: Config, args: argparse.Namespace) -> int:
    try:
        if args.dry_run:
            report = _dry_run(cfg, _now())
        else:
            with _instance(cfg, "once"):
                report = Service(cfg).tick(_now())
    except AlreadyRunning as err:
        print(str(err), file=sys.stderr)
        return EXIT_FAILED
    except HeaderError as err:
        print(f"The cycle could not run: agenda header problem: {_pasteable(str(err), cfg)}",
              file=sys.stderr)
        return EXIT_FAILED
    except AdapterError as err:
        print(f"The cycle could not run: {_pasteable(str(err), cfg)}", file=sys.stderr)
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
        with _instance(cfg, "run"):
            log.info("%s", _run_banner(cfg))
            service = Service(cfg, heartbeat=True)
            idle = IdleNotes(cfg.tz)

            def cycle() -> None:
                # Adapters are opened afresh each cycle: what they look up once (WordPress
                # categories, the agenda's last read) is never older than one cycle.
                try:
                    now = _now()
                    report = service.tick(now, stop=lambda: stopping)
                    if not report.idle:
                        log.info("cycle: %d rows, %d changed", report.rows, len(report.changed))
                    note = idle.seen(report.idle, now, time.monotonic())
                    if note:
                        log.info("%s", note)
                except (HeaderError, AdapterError) as err:
                    log.error("cycle could not run: %s", _pasteable(str(err), cfg))
                except Exception:  # the loop must outlive any one cycle
                    log.exception("cycle failed unexpectedly")

            # `schedule` runs jobs in this thread: a slow cycle delays the next one, never piles up.
            schedule.every(cfg.poll_interval_seconds).seconds.do(cycle)
            cycle()
            while not stopping:
                schedule.run_pending()
                time.sleep(0.2)
            schedule.clear()
    except AlreadyRunning as err:
        print(str(err), file=sys.stderr)
        return EXIT_FAILED
    log.info("stopped")
    return EXIT_OK




def _where_agenda(cfg: Config) -> str:
    if cfg.agenda.backend == "google":
        return f"Google spreadsheet {cfg.agenda.spreadsheet_id} ('{cfg.agenda.worksheet}')"
    return f"{cfg.agenda.path} ('{cfg.agenda.worksheet}')"


def _where_media(cfg: Config) -> str:
    return "Google Drive links" if cfg.media.backend == "drive" else str(cfg.media.base_dir)


def _where_website(cfg: Config) -> str:
    if cfg.website.backend == "wordpress":
        return f"WordPress {cfg.website.url}"
    return f"static folder {cfg.website.output_dir}" + (f" ({cfg.website.url})"
                                                         if cfg.website.url else "")


def _run_banner(cfg: Config) -> str:
    """The one line `run` starts with: what it works on, so a log shows which setup ran."""
    return (f"starting buku-agenda {automation.__version__}: config {cfg.source}, agenda "
            f"{_where_agenda(cfg)}, media {_where_media(cfg)}, website {_where_website(cfg)}, "
            f"every {cfg.poll_interval_seconds} s, state {cfg.state_dir}, PID {os.getpid()}")


IDLE_NOTE_SECONDS = 300


class IdleNotes:
    """Under `run`, idle cycles are quiet; one line every `every` seconds says it is alive."""

    def __init__(self, tz: tzinfo, every: float = IDLE_NOTE_SECONDS):
        self.tz, self.every = tz, every
        self.count = 0
        self.since: datetime | None = None
        self.told: float | None = None

    def seen(self, idle: bool, now: datetime, clock: float) -> str | None:
        if self.told is None:
            self.told = clock
        if not idle:
            self.count, self.since, self.told = 0, None, clock
            return None
        if self.since is None:
            self.since = now
        self.count += 1
        if clock - self.told < self.every:
            return None
        self.told = clock
        since = self.since.astimezone(self.tz)
        shown = f"{since:%H:%M %Z}" if since.date() == now.astimezone(self.tz).date() \
            else f"{since:%Y-%m-%d %H:%M %Z}"
        return (f"idle: agenda unchanged, {self.count} cycle{'s' if self.count != 1 else ''} "
                f"since {shown}")


def _store_item(problem: str) -> str:
    """Which line of `check` an agenda store's problem belongs on (read from its message)."""
    text = problem.lower()
    if "protect" in text:
        return "protections"
    if "header" in text:
        return "headers"
    if "worksheet '" in text:
        return "worksheets"
    return "agenda"


CHANNEL_NAMES = {"telegram": ("Telegram", "telegram"), "wa": ("WhatsApp (Fonnte)", "whatsapp"),
                 "email": ("E-mail (SMTP)", "e-mail")}


def cmd_check(cfg: Config, args: argparse.Namespace) -> int:
    """One line per item checked, in order, each OK or PROBLEM with its fix; creates nothing
    (no state folder, ledger or lock) and holds nothing a running `run` needs."""
    failures = 0

    def say(ok: bool, item: str, text: str) -> None:
        nonlocal failures
        failures += not ok
        print(f"{'OK' if ok else 'PROBLEM':<8} {item}: {_pasteable(text, cfg)}", flush=True)

    say(True, "Configuration", f"{cfg.source} read, every key valid")
    if cfg.agenda.backend == "google" or cfg.media.backend == "drive":
        from automation.google_api import service_account_email
        email = service_account_email(cfg.agenda.credentials_file)
        if email:
            say(True, "Service account", f"{email} (share the spreadsheet as Editor and the "
                "media folders as Viewer with it)")
        else:
            say(False, "Service account", f"key file {cfg.agenda.credentials_file} cannot be "
                "read: download the service account's JSON key (Google Cloud console, IAM, "
                "Service accounts, Keys) and point agenda.credentials_file at it")

    # -- the agenda: reachable, worksheets, headers, protections
    store = open_store(cfg)
    try:
        store_problems = store.check()
    except AdapterError as err:
        store_problems = [str(err)]
    groups: dict[str, list[str]] = {"agenda": [], "worksheets": [], "headers": [],
                                    "protections": []}
    for problem in store_problems:
        groups[_store_item(problem)].append(problem)
    agenda = f"Agenda {_where_agenda(cfg)}"
    for problem in groups["agenda"]:
        say(False, agenda, problem)
    reachable = all("writable" in p or "time zone" in p for p in groups["agenda"])
    if not groups["agenda"]:
        say(True, agenda, "reachable" + (", writable" if cfg.agenda.backend == "xlsx" else ""))
    not_checked = "not checked: the agenda cannot be opened (see above)"
    if not reachable:
        say(False, "Worksheets", not_checked)
    elif groups["worksheets"]:
        for problem in groups["worksheets"]:
            say(False, "Worksheets", problem)
    else:
        say(True, "Worksheets", f"'{cfg.agenda.worksheet}' and 'Riwayat' present")
    heading = f"Headers of '{cfg.agenda.worksheet}'"
    main_sheet_missing = any(f"'{cfg.agenda.worksheet}'" in p for p in groups["worksheets"])
    if not reachable or main_sheet_missing:
        say(False, heading, not_checked if not reachable else
            f"not checked: worksheet '{cfg.agenda.worksheet}' is missing (see above)")
    elif groups["headers"]:
        for problem in groups["headers"]:
            say(False, heading, problem)
    else:
        try:
            locate_headers(store.read().header, rules_of(cfg))
        except (HeaderError, AdapterError) as err:
            say(False, heading, str(err))
        else:
            say(True, heading, "every required header present once")
    if cfg.agenda.backend == "google":
        if groups["protections"]:
            for problem in groups["protections"]:
                say(False, "Protections", problem)
        elif not cfg.approval.require_protection:
            say(True, "Protections", "not required (approval.require_protection = false): "
                "anyone who can edit the sheet can approve")
        elif len(store_problems) > len(groups["protections"]):
            say(False, "Protections", "not checked until the agenda problems above are fixed")
        else:
            say(True, "Protections", "approval columns editable only by their officials")

    # -- media and website
    try:
        ws = open_workspace(cfg, ledger_path=MEMORY)
    except AdapterError as err:
        say(False, "Media and website", str(err))
    else:
        try:
            media = f"Media folder {_where_media(cfg)}"
            media_problems = ws.media.check()
            for problem in media_problems:
                say(False, media, problem)
            if not media_problems:
                say(True, media, "readable")
            try:
                say(True, "Videos", f"{ffmpeg.version()} ({ffmpeg.executable()}); videos other "
                    "than H.264/AAC MP4 or VP8/VP9 WebM, or over website.max_upload_mb = "
                    f"{cfg.website.max_upload_mb}, are converted in {ws.videos.folder}")
            except AdapterError as err:
                say(False, "Videos", str(err))
            page_problems = ws.pages.check() if cfg.preview.enabled else []
            for problem in page_problems:
                say(False, "Pratinjau", problem)
            if not page_problems:
                shelf = ws.pages.shelf
                uploaded = f", uploaded to Drive folder {shelf.folder_id}" if shelf else ""
                say(True, "Pratinjau", f"PDFs are made in {ws.pages.folder}{uploaded}"
                    if cfg.preview.enabled else "none made (preview.enabled = false)")
            website = f"Website {_where_website(cfg)}"
            site_problems = ws.publisher.check()
            for problem in site_problems:
                say(False, website, problem)
            if not site_problems:
                say(True, website, "reachable, may publish" if cfg.website.backend == "wordpress"
                    else "writable")
        finally:
            ws.close()

    # -- notification channels
    channels, channel_problems = channels_from(cfg.notify, os.environ)
    used = cfg.notify.channels_used()
    if not used:
        say(True, "Notifications", "none configured ([notify.recipients] and [notify.petugas] "
            "are empty)")
    for name in sorted(used):
        label, word = CHANNEL_NAMES.get(name, (name, name))
        item = f"Notifications via {label}"
        if name in channels:
            problems = channels[name].check()
            for problem in problems:
                say(False, item, problem)
            if not problems:
                say(True, item, "reachable, credentials accepted")
        else:
            mine = [p for p in channel_problems if word in p.lower()]
            for problem in mine or [f"channel '{name}' is not available"]:
                say(False, item, problem)
            channel_problems = [p for p in channel_problems if p not in mine]
    for problem in channel_problems:
        say(False, "Notifications", problem)

    # -- is the program running? (reads the ledger and the lock; creates and holds nothing)
    ledger = None
    if (cfg.state_dir / "ledger.sqlite3").is_file():
        ledger = Ledger(MEMORY)
        try:
            copy_ledger_into(cfg, ledger)
        except AdapterError as err:         # a ledger of a newer program, or a broken one
            say(False, "Ledger", str(err))
    try:
        for ok, item, text in health.liveness(ledger, cfg, _now(), _run_holder(cfg),
                                              f"`{command_line('run', config=cfg.source)}`"):
            say(ok, item, text)
    finally:
        if ledger is not None:
            ledger.close()

    if failures:
        print(f"{failures} problem{'s' if failures != 1 else ''}: fix "
              f"{'them' if failures != 1 else 'it'}, then run "
              f"`{command_line('check', config=cfg.source)}` again.")
        return EXIT_FAILED
    print("All well.")
    return EXIT_OK


def cmd_init(cfg: Config, args: argparse.Namespace) -> int:
    from automation.agenda.template import write_template
    from automation.agenda.xlsx_store import NeedsPerson

    # The media folder is never made here: an unmounted share would silently become an
    # empty local folder that every cycle then reads as "no photos". It is only reported.
    if cfg.media.backend == "local" and not cfg.media.base_dir.is_dir():
        print(f"WARNING: media folder {cfg.media.base_dir} does not exist: create it, or mount "
              "the shared folder there, before the first cycle.", file=sys.stderr)
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    if cfg.agenda.backend == "google":
        from automation.agenda.google_init import init_google
        return init_google(cfg, out=print, err=lambda text: print(text, file=sys.stderr))
    path = cfg.agenda.path
    if path.exists():
        # What `check` asks init for is added here (Riwayat, optional columns); what only a
        # person can fix is refused with what to change.
        store = open_store(cfg)
        added: list[str] = []
        try:
            added = store.repair(rules_of(cfg).columns)
        except NeedsPerson as err:
            problems = err.problems
        except AdapterError as err:          # unreadable, or locked by another program
            problems = [str(err)]
        else:
            problems = store.check()
            if not problems:
                try:
                    locate_headers(store.read().header, rules_of(cfg))
                except (HeaderError, AdapterError) as err:
                    problems.append(str(err))
        for what in added:
            print(f"Added to {path}: {what}; every other cell is as it was.")
        if problems:
            if added:
                print(f"Refused: {path} is still not a usable agenda.", file=sys.stderr)
            else:
                print(f"Refused: {path} exists and is not a usable agenda; it is left untouched.",
                      file=sys.stderr)
            for p in problems:
                print(f"  - {p}", file=sys.stderr)
            print("Change this by hand (or move the file away), then run init again.",
                  file=sys.stderr)
            return EXIT_FAILED
        print(f"{path} is ready." if added else
              f"{path} already exists and is ready; nothing changed.")
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
        print(f"The recap could not be made: agenda header problem: "
              f"{_pasteable(str(err), cfg)}", file=sys.stderr)
        return EXIT_FAILED
    except (AdapterError, OSError) as err:
        print(f"The recap could not be made: {_pasteable(str(err), cfg)}", file=sys.stderr)
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
    parser.add_argument("--version", action="version",
                        version=f"buku-agenda {automation.__version__}")
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
    # `check` and a dry run leave nothing behind: no log file in a state folder not made yet.
    looking = args.command == "check" or getattr(args, "dry_run", False)
    _setup_logging(cfg, args.verbose, to_file=not looking or cfg.state_dir.is_dir())
    try:
        return COMMANDS[args.command](cfg, args)
    except NotImplementedError as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":          # `python -m automation.cli`, where main.py is not at hand
    sys.exit(main())
