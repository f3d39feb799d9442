"""Step 4b: the Pratinjau of every complete row's content version and the Lembar Arsip of
every publication (SPEC section 9), after the cycle's publications and before its one
write-back, so that the `Pratinjau` cell is written with the rest.

Each page is journaled like any other effect (begin, file, record and finish together), made
once per entry, kind and content version: a page recorded is never made again, one killed
half-way is made again under the same name, whole (the renderer renames it into place).
With a Drive folder (Google backend), a recorded page is then uploaded, journaled the same
way, and its Drive link goes into the row's write of this cycle (a link recorded but not
written is written by the next one: the row stays unsettled until then). A page that cannot
be made or uploaded never holds anything up: the row stays unsettled and is tried again next
cycle, and the notice goes without it (or with the file alone). Drive out of reach ends the cycle's
uploads; Drive refusing them (a misconfigured folder) pauses them for `REFUSAL_PAUSE`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from automation import health
from automation.core import schema as S
from automation.core.entry import Content, Entry
from automation.core.workflow import Decision, Status, Waiting
from automation.ledger import MadePage
from automation.ports import AdapterError, RowWrite
from automation.pratinjau.page import Approval, Archive, Page, file_name
from automation.pratinjau.pages import ShelfRefused
from automation.publishers.static_site import OFFICE
from automation.steps.context import Context
from automation.steps.planning import Planner, Resolved

log = logging.getLogger(__name__)

# Pages made in one cycle at most (about 0.15 s each): the rest are made by the next cycles,
# so that the first cycle after an upgrade, or a day's rows pasted at once, stays short.
PAGES_PER_CYCLE = 20
# After Google refused a page for good, uploads wait this long (or for a restart after the
# fix): a misconfigured folder costs a few requests and one warning per pause, not per cycle.
REFUSAL_PAUSE = timedelta(minutes=10)


@dataclass
class PageJob:
    """One page a row needs: what it is, under which name, linked how."""

    entry: Entry
    decision: Decision
    kind: str
    fingerprint: str
    made: MadePage                      # its version, file and link (recorded once made)
    resolved: Resolved | None
    render: bool = True                 # False: made already, only its upload is left
    write: RowWrite | None = None       # the row's cells this cycle: an upload adds its link


def wanted(ctx: Context, entry: Entry, decision: Decision, content: Content,
           resolved: Resolved | None, acted: bool, due: int) -> tuple[Decision, PageJob | None]:
    """The decision with the `Pratinjau` cell it should show, and the page to make for it
    (None when it is made already, or the row has none). `due`: pages asked for so far in
    this cycle.

    A Pratinjau is for a row waiting for paraf (or failed); a Lembar Arsip for a publication
    not filed yet, or one this cycle made (an update of a filed one): rows long published and
    filed get none."""
    memory, post = decision.memory, decision.memory.post
    if not ctx.ws.config.preview.enabled or not content.complete or not memory.agenda_number:
        return decision, None
    if post is not None and post.live and post.fingerprint == content.fingerprint:
        if entry.ticked(S.PAPER_FILED) and not acted or not memory.archive_number:
            return decision, None
        kind, fingerprint = S.ARSIP, post.fingerprint
    elif isinstance(decision.status, Waiting) or decision.status is Status.FAILED:
        kind, fingerprint = S.PRATINJAU, content.fingerprint
    else:
        return decision, None
    made = ctx.ledger.preview(entry.entry_id, kind, fingerprint)
    job = None
    if made is None or not ctx.ws.pages.linked(made.link):
        if due >= PAGES_PER_CYCLE:
            ctx.tally.unsettle(entry.entry_id)       # its turn comes next cycle
            return decision, None
        if made is None:
            version = ctx.ledger.preview_versions(entry.entry_id, kind) + 1
            name = file_name(memory.agenda_number, kind, version)
            made = MadePage(version, str(ctx.ws.pages.folder / name), ctx.ws.pages.link(name))
            job = PageJob(entry, decision, kind, fingerprint, made, resolved)
        else:           # made, not uploaded yet: made again only if its file went away
            job = PageJob(entry, decision, kind, fingerprint, made, resolved,
                          render=not Path(made.path).is_file())
    if not ctx.ws.pages.linked(made.link):  # a Drive link: known once the page is uploaded
        ctx.tally.unsettle(entry.entry_id)
        return decision, job
    return replace(decision, cells={**decision.cells, S.PREVIEW: made.link}), job


def make_pages(ctx: Context, jobs: list[PageJob], planner: Planner) -> None:
    """Make every page asked for; a failure is logged and the row tried again next cycle."""
    if not ctx.ws.pages.write:
        return
    refused = ctx.ledger.meta.pages_refused_at
    uploading = refused is None or ctx.now - refused >= REFUSAL_PAUSE
    for job in jobs:
        if ctx.stop():
            break
        if job.render and not _make(ctx, job, planner):
            continue
        if uploading and not ctx.ws.pages.linked(job.made.link):
            uploading = _upload(ctx, job)


def _make(ctx: Context, job: PageJob, planner: Planner) -> bool:
    name = Path(job.made.path).name
    seq = ctx.ledger.begin(job.entry.entry_id, job.kind, name, ctx.now)
    try:
        resolved = job.resolved or planner.resolve(job.entry)
        ctx.ws.pages.make(_page(ctx, job, resolved), name)
    except Exception as err:  # a page never stops the cycle, nor any notice
        log.warning("%s for %s could not be made: %s", job.kind, job.entry.entry_id, err,
                    exc_info=not isinstance(err, OSError))
        ctx.ledger.finish(seq, f"failed: {err}", ctx.now)
        ctx.tally.unsettle(job.entry.entry_id)
        return False
    with ctx.ledger.transaction():
        ctx.ledger.record_preview(job.entry.entry_id, job.kind, job.fingerprint, job.made,
                                  ctx.now)
        ctx.ledger.finish(seq, "done", ctx.now)
    log.info("%s %s made: %s", job.decision.memory.agenda_number, job.kind, job.made.path)
    return True


def _upload(ctx: Context, job: PageJob) -> bool:
    """A recorded page into the Drive folder; its link is recorded with it. A page killed
    mid-upload is uploaded again onto the same Drive file (the shelf finds it by name).
    Returns whether the next page may be tried in this cycle."""
    path = Path(job.made.path)
    seq = ctx.ledger.begin(job.entry.entry_id, f"{job.kind} upload", path.name, ctx.now)
    try:
        link = ctx.ws.pages.upload(path)
    except Exception as err:  # the page stays on the server; the upload is tried later
        refused = isinstance(err, ShelfRefused)
        later = f"again after {REFUSAL_PAUSE.seconds // 60} minutes" if refused else "next cycle"
        log.log(logging.ERROR if refused else logging.WARNING,
                "%s for %s could not be uploaded (pages are uploaded %s): %s", job.kind,
                job.entry.entry_id, later, err,
                exc_info=not isinstance(err, (AdapterError, OSError)))
        with ctx.ledger.transaction():
            ctx.ledger.finish(seq, f"failed: {err}", ctx.now)
            if refused:
                health.pages_refused(ctx.ledger, ctx.ws.config, ctx.now, str(err))
        return False
    with ctx.ledger.transaction():
        ctx.ledger.link_preview(job.entry.entry_id, job.kind, job.fingerprint, link)
        ctx.ledger.finish(seq, "done", ctx.now)
        health.pages_uploaded(ctx.ledger)
    log.info("%s %s uploaded: %s", job.decision.memory.agenda_number, job.kind, link)
    if job.write is not None and job.entry.cells.get(S.PREVIEW) != link:
        job.write.cells[S.PREVIEW] = link
    return True


def _page(ctx: Context, job: PageJob, resolved: Resolved) -> Page:
    entry, memory, config = job.entry, job.decision.memory, ctx.ws.config
    files = resolved.media.files
    archive = None
    if job.kind == S.ARSIP and memory.post is not None:
        archive = Archive(memory.archive_number, memory.archive_location,
                          memory.first_published_at or ctx.now, memory.post.url)
    return Page(
        kind=job.kind, office=OFFICE, title=entry.title,
        date=memory.first_published_at or memory.first_seen or ctx.now,
        news_type=entry.text(S.NEWS_TYPE), source=entry.text(S.SOURCE),
        caption=entry.text(S.CAPTION), body_html=resolved.body_html,
        photos=tuple(f for f in files if f.kind == "photo"),
        videos=tuple(f for f in files if f.kind == "video"), embeds=resolved.embeds,
        agenda_number=memory.agenda_number, receiver=entry.text(S.RECEIVER),
        approvals=_approvals(ctx, entry, job), fingerprint=job.fingerprint,
        made_at=ctx.now, archive=archive)


def _approvals(ctx: Context, entry: Entry, job: PageJob) -> tuple[Approval, ...]:
    """Each approval column: its official and when its tick was first seen for this content
    (the `Riwayat` event of the current round)."""
    memory = job.decision.memory
    seen = {e.name: e.at for e in ctx.ledger.events_of(entry.entry_id)
            if e.occurrence == str(memory.round)}
    editors = ctx.ws.config.approval.editors
    return tuple(
        Approval(column, ", ".join(editors.get(column, ())),
                 seen.get(column) if memory.approvals.get(column) == job.fingerprint else None)
        for column in ctx.rules.approval_columns)
