"""Step 4: the outside effect a decision asks for, journaled in the ledger before and after.

The post's address is chosen and saved before any call, and the publisher looks for an
earlier attempt before creating, so an interrupted publication is finished, never doubled.
"""

from __future__ import annotations

import logging
from typing import Mapping

from automation.core import schema as S
from automation.core import transitions
from automation.core.entry import Entry, post_slug
from automation.core.workflow import Action, Decision, Memory, attempt_key
from automation.ports import AdapterError, Post, UploadRefused
from automation.steps import memory as M
from automation.steps.context import Context
from automation.steps.planning import Resolved

log = logging.getLogger(__name__)


def act(ctx: Context, entry: Entry, decision: Decision, resolved: Resolved,
        archive_floor: Mapping[int, int]) -> Memory:
    """The memory after the action: the core's account of what the website did or why not."""
    action = decision.action
    assert action is not None
    memory = transitions.with_slug(decision.memory, post_slug(entry.title, entry.entry_id))
    if memory != decision.memory:
        ctx.ledger.remember(entry.entry_id, memory)
    seq = ctx.ledger.begin(entry.entry_id, action.value, memory.slug, ctx.now)
    try:
        # Without a remembered post, the publisher looks for one itself before creating.
        existing = memory.post
        if action is Action.WITHDRAW:
            ref = ctx.ws.publisher.withdraw(existing)
        else:
            ref = ctx.ws.publisher.publish(_post(entry, memory, resolved, ctx), existing)
    except UploadRefused as err:
        # Too large for the website: the same upload is not tried again (no retry storm).
        log.warning("%s %s refused for %s: %s", action.value, memory.slug, entry.entry_id, err)
        with ctx.ledger.transaction():
            memory = transitions.act_refused(memory, action, err.note, attempt_key(
                resolved.content.fingerprint, ctx.rules))
            ctx.ledger.remember(entry.entry_id, memory)
            ctx.ledger.finish(seq, f"refused: {err}", ctx.now)
        return memory
    except Exception as err:  # one row's failure never stops the cycle
        note = err.note if isinstance(err, AdapterError) else (
            f"Kesalahan program: {type(err).__name__}. Administrator perlu memeriksa log.")
        log.error("%s %s failed for %s: %s", action.value, memory.slug, entry.entry_id, err,
                  exc_info=not isinstance(err, AdapterError))
        ctx.ledger.finish(seq, f"failed: {err}", ctx.now)
        return transitions.act_failed(memory, action, note)
    with ctx.ledger.transaction():
        memory = transitions.acted(memory, action, ref, ctx.now)
        memory = M.give_archive_number(ctx, memory, archive_floor)
        ctx.ledger.remember(entry.entry_id, memory)
        ctx.ledger.finish(seq, "done", ctx.now)
    return memory


def _post(entry: Entry, memory: Memory, resolved: Resolved, ctx: Context) -> Post:
    return Post(
        entry_id=entry.entry_id, slug=memory.slug, title=entry.title,
        body_html=resolved.body_html, news_type=entry.text(S.NEWS_TYPE),
        source=entry.text(S.SOURCE), caption=entry.text(S.CAPTION),
        media=resolved.media.files, published_at=memory.first_published_at or ctx.now,
        agenda_number=memory.agenda_number, fingerprint=resolved.content.fingerprint,
        embeds=resolved.embeds,
    )
