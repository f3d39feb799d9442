"""Step 2: per row, its identity, memory and numbers, what its content resolves to, and the
first decision. No outside effect but reading media and documents, and asking for the
conversions its videos need (journaled; they run beside the cycle, see
`automation.media.conversions`)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace

from automation.core import schema as S
from automation.core.entry import (
    Content, Entry, content_key, document_reference, field_problems, fingerprint, split_links,
)
from automation.core.workflow import Decision, decide
from automation.core.youtube import split_embeds
from automation.media.conversions import Prepared
from automation.media.documents import text_to_html
from automation.ports import MediaCheck
from automation.steps import memory as M
from automation.steps.context import Context
from automation.steps.reading import Agenda

ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: people may read it aloud


def new_entry_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(10))


@dataclass
class Resolved:
    """What one row's content resolved to, kept for building the post."""

    content: Content
    media: MediaCheck                   # the files as published (videos converted)
    body_html: str
    embeds: tuple[str, ...] = ()        # YouTube video IDs: embedded, not downloaded


@dataclass
class Planned:
    """One row between the first decision and the write-back."""

    entry: Entry
    match: dict[str, str]               # what the row showed when read: finds it again
    id_in_sheet: bool
    resolved: Resolved | None           # None when the content came from the cache (no action)
    decision: Decision
    content: Content                    # what the decision was made on


class Planner:
    def __init__(self, ctx: Context, agenda: Agenda):
        self.ctx, self.agenda = ctx, agenda
        self.memories = M.Memories(ctx, agenda.archive_floor)
        self.in_sheet = set(agenda.ids)

    def plan(self, entry: Entry) -> Planned:
        """Raises `AdapterError` when the row's media cannot be read now (SPEC rule 8):
        nothing of the row has been saved then but its number."""
        ctx = self.ctx
        match = {h: entry.text(h) for h in (S.ENTRY_ID, S.TITLE, S.SOURCE, S.RECEIVER)}
        id_in_sheet = bool(entry.entry_id)
        if not id_in_sheet:
            entry = replace(entry, entry_id=self._new_id(match))
        remembered = self.memories.of(entry)
        memory = M.give_agenda_number(ctx, entry, remembered, self.agenda.agenda_floor)
        resolved = None
        content = self._unchanged_content(entry)
        if content is None:
            resolved = self.resolve(entry)
            content = resolved.content
        decision = decide(entry, memory, content, ctx.now, ctx.rules, ctx.hold)
        if decision.action is not None and resolved is None:
            # About to publish: the post needs the files and the body, freshly read.
            resolved = self.resolve(entry)
            content = resolved.content
            decision = decide(entry, memory, content, ctx.now, ctx.rules, ctx.hold)
        M.remember(ctx, entry, remembered, decision, content.fingerprint)
        return Planned(entry, match, id_in_sheet, resolved, decision, content)

    def _new_id(self, match: dict[str, str]) -> str:
        """A new row's ID; the same one again if an earlier write of it did not land."""
        signature = json.dumps(match, sort_keys=True, ensure_ascii=False)
        entry_id = self.ctx.ledger.pending_id(signature)
        if entry_id is None or entry_id in self.in_sheet:
            entry_id = new_entry_id()
            self.ctx.ledger.set_pending_id(signature, entry_id)
        self.in_sheet.add(entry_id)
        return entry_id

    def _unchanged_content(self, entry: Entry) -> Content | None:
        """The row's content (and what is wrong with it) as last resolved, if its texts and
        files are unchanged: spares reading and checking every file of every row on every
        cycle."""
        cached = self.ctx.ledger.cached_content(entry.entry_id)
        if cached is None or cached.key != self._content_key(entry):
            return None
        if not self.ctx.ws.media.unchanged(cached.stamp):
            return None
        return Content(cached.fingerprint, cached.problems)

    def _content_key(self, entry: Entry) -> str:
        # Where media is read and how large it may be decide what is wrong with it too, and
        # the website's upload limit whether a video can be made to fit.
        return content_key(entry, self.ctx.rules, repr((self.ctx.ws.config.media,
                                                         self.ctx.rules.max_upload_mb)))

    def resolve(self, entry: Entry) -> Resolved:
        ws = self.ctx.ws
        problems = field_problems(entry, self.ctx.rules)
        embeds, links = split_embeds(split_links(entry.text(S.MEDIA)))
        media = ws.media.collect(links) if links else MediaCheck((), ())
        problems += media.problems
        published, preparing = [], []
        for file in media.files:
            ready = ws.videos.prepare(file) if file.kind == "video" else Prepared(file)
            if ready.file is not None:
                published.append(ready.file)
            problems += [ready.problem] if ready.problem else []
            preparing += [ready.waiting] if ready.waiting else []
        naskah = entry.text(S.TEXT)
        reference = document_reference(naskah)
        document_fp, body, stamp = "", text_to_html(naskah), media.stamp
        if reference:
            document = ws.media.read_document(reference)
            problems += document.problems
            document_fp, body, stamp = document.fingerprint, document.html, stamp + document.stamp
        digest = fingerprint(entry, document_fp, [(f.name, f.sha256) for f in media.files])
        # Problems too: the stamp also covers what fixing each would change.
        self.ctx.ledger.cache_content(entry.entry_id, self._content_key(entry), stamp, digest,
                                      problems)
        return Resolved(Content(digest, tuple(problems), tuple(preparing)),
                        replace(media, files=tuple(published)), body, embeds)
