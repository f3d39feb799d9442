"""Making text and HTML safe for a web page: the one place both publishers and the
documents reader use.

- `sanitize_html`: body HTML reduced to the allowlist (tags, attributes, link schemes).
- `page_text`: a plain text (title, caption, ...) without what a page, JSON or XML cannot
  hold. It is the core's cell cleaner `automation.core.entry.printable` with the few steps
  a page needs on top (a Word line break as a chosen line break, no lone surrogates).
- `page_body`: body HTML made printable and reduced to the allowlist.
- `page_post`: a `Post` with every text made `page_text` (its body is for `page_body`).
"""

from __future__ import annotations

import re
from dataclasses import replace

import nh3

from automation.core.entry import printable
from automation.ports import Post

# What a press release may contain on the website; everything else is dropped, keeping
# its text, except script and style whose content is dropped too.
ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "a", "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"})}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
DROPPED_WITH_CONTENT = frozenset({"script", "style"})
LINK_REL = "noopener noreferrer"

# Word's line break and page break (they become `line_break`) and NEL (dropped).
_CUT = re.compile("([\x0b\x0c\x85])")
_TAG_OR_WORD_BREAK = re.compile("<[^<>]*>|[\x0b\x0c]")
# What `printable` leaves that a page still cannot hold: lone surrogates (UTF-8 cannot
# encode them) and the two noncharacters XML refuses.
_NOT_ENCODABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


def sanitize_html(html_text: str) -> str:
    """Keep only the allowed tags, attributes and link schemes; links get a safe `rel`."""
    return nh3.clean(
        html_text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def page_text(text: str, line_break: str = "\n") -> str:
    """`text` without the control characters a page, JSON or XML cannot hold.

    Tab and line feed stay; CR LF and a lone CR become a line feed (`printable`); a
    vertical tab (Word's line break) and a form feed (Word's page break) become
    `line_break` (`"<br>"` in HTML, where a newline shows as a space); every other C0 or C1
    control (NEL included: dropped, not a line end), DEL, a lone surrogate and
    U+FFFE/U+FFFF is removed. None is "", anything else not text is its `str`.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if text.isprintable():              # the common case: nothing to remove
        return text
    # Cut apart first what `printable` would make a line feed but a page treats its own way;
    # replacing them before it could join a lone CR and what follows into one CR LF.
    parts = _CUT.split(text)            # text, cut, text, cut, ..., text
    parts[::2] = [printable(part) for part in parts[::2]]
    parts[1::2] = ["" if cut == "\x85" else line_break for cut in parts[1::2]]
    return _NOT_ENCODABLE.sub("", "".join(parts))


def page_body(html_text: str) -> str:
    """The body HTML reduced to the allowlist; only this is trusted as a page's markup.

    A Word line break in the body's text becomes <br> (a bare newline would show as a
    space; inside a tag it is only a newline); controls that reappear from character
    references (`&#1;`) are dropped after."""
    if "\x0b" in html_text or "\x0c" in html_text:
        html_text = _TAG_OR_WORD_BREAK.sub(lambda m: "<br>" if len(m[0]) == 1 else m[0],
                                           html_text)
    return page_text(sanitize_html(page_text(html_text)))


def page_post(post: Post) -> Post:
    """The post with every text that reaches a page (or a site's records) made `page_text`;
    the body is cleaned as HTML by `page_body`."""
    return replace(
        post,
        title=page_text(post.title), caption=page_text(post.caption),
        source=page_text(post.source), news_type=page_text(post.news_type),
        agenda_number=page_text(post.agenda_number),
    )
