"""Configuration keys declared once: name, type, default, check, the fix, the comment.

A table of the configuration is a frozen dataclass whose fields are made with `key()` (or
`secret_env()`) and `table()`. From those declarations alone come both the reading of a TOML
file, `read()`, which records every problem with its key path instead of stopping at the
first, and the commented example file, `example()`. automation/config.py declares the keys.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any, Callable, get_type_hints

Check = Callable[[Any], "str | None"]      # a converted value -> what is wrong with it, or None
COMMENT_COLUMN = 36                         # where comments beside the values start


@dataclass(frozen=True)
class Problem:
    key: str            # the key path: "agenda.backend", "notify.recipients.kadis"
    text: str           # the whole message: it names the key and says the fix

    def __str__(self) -> str:
        return self.text


class Refused(Exception):
    """Raised by a reader: `text` follows the key's name; `show` adds ", not <value>"."""

    def __init__(self, text: str, show: bool = True):
        super().__init__(text)
        self.text, self.show = text, show


BAD = object()          # what a reader returns for a value it refused (the problem is recorded)


class Reader:
    """The folder relative paths resolve against, and the problems found so far."""

    def __init__(self, base: Path):
        self.base = base
        self.problems: list[Problem] = []

    def fail(self, key: str, text: str) -> object:
        self.problems.append(Problem(key, text))
        return BAD

    def path(self, value: str | Path) -> Path:
        path = Path(value)
        return path if path.is_absolute() else self.base / path


Read = Callable[[Reader, str, Any], Any]    # (reader, key path, TOML value) -> value, or Refused


@dataclass(frozen=True)
class Spec:
    doc: str = ""                   # the comment beside it in the example; more lines align below
    above: str = ""                 # comment lines above it in the example
    check: Check | None = None
    read: Read | None = None        # None: by the field's type
    example: str | None = None      # shown commented out (`# key = example`) instead of the default
    examples: tuple[str, ...] = ()  # a table of its own in the example, these entries commented out
    echo: bool = True               # False: a refusal never repeats the value (a pasted secret)
    table: bool = False             # a nested table: its own dataclass


def key(default: Any, doc: str = "", *, check: Check | None = None, choices: tuple[str, ...] = (),
        read: Read | None = None, above: str = "", example: str | None = None,
        examples: tuple[str, ...] = (), echo: bool = True) -> Any:
    """One configuration key. `choices` makes the check and fills `{choices}` in the doc."""
    if choices:
        check = one_of(*choices)
        doc = doc.replace("{choices}", " | ".join(f'"{c}"' for c in choices))
    spec = Spec(doc, above, check, read, example, tuple(examples), echo)
    if isinstance(default, dict):
        assert not default, "a table key defaults to an empty table"
        return field(default_factory=dict, metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


def secret_env(default: str, doc: str = "") -> Any:
    """The name of the environment variable that holds a secret: the secret never sits here."""
    return key(default, doc, check=env_name, echo=False)


def table(cls: type, doc: str = "", *, above: str = "") -> Any:
    return field(default_factory=cls, metadata={"spec": Spec(doc, above, table=True)})


# --- checks ----------------------------------------------------------------------------------

def positive(v: int) -> str | None:
    return None if v > 0 else "must be greater than 0"


def between(low: int, high: int) -> Check:
    def check(v: int) -> str | None:
        return None if low <= v <= high else f"must be between {low} and {high}"
    return check


def one_of(*choices: str) -> Check:
    def check(v: str) -> str | None:
        return None if v in choices else "must be one of " + ", ".join(f'"{c}"' for c in choices)
    return check


def non_empty(v: Any) -> str | None:
    return None if v else "must not be empty"


def web_url(v: str) -> str | None:
    ok = not v or v.startswith(("http://", "https://"))
    return None if ok else "must start with http:// or https://"


def env_name(v: str) -> str | None:
    ok = v.replace("_", "").isalnum()
    return None if ok else "must be an environment variable name such as WP_APP_PASSWORD"


# --- readers by type ---------------------------------------------------------------------------

def _typed(kind: type, words: str) -> Read:
    def read(reader: Reader, key: str, value: Any) -> Any:
        # bool is an int in Python; a number where true/false is meant (or back) is a mistake.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise Refused(f"must be {words}")
        return value
    return read


def _path(reader: Reader, key: str, value: Any) -> Path:
    if not isinstance(value, str):
        raise Refused("must be a path in quotes")
    return reader.path(value)


def _optional_path(reader: Reader, key: str, value: Any) -> Path | None:
    return _path(reader, key, value) if value != "" else None


def texts(reader: Reader, key: str, value: Any) -> tuple[str, ...]:
    """A list of non-empty texts, trimmed, none twice (ignoring case)."""
    if not isinstance(value, list):
        raise Refused('must be a list like ["a", "b"]')
    if not all(isinstance(i, str) and i.strip() for i in value):
        raise Refused("must list non-empty texts in quotes", show=False)
    cleaned = tuple(i.strip() for i in value)
    if len({x.casefold() for x in cleaned}) != len(cleaned):
        raise Refused("lists the same value twice; remove the repeat", show=False)
    return cleaned


READERS: dict[Any, Read] = {
    str: _typed(str, "a text in quotes"), int: _typed(int, "a whole number"),
    bool: _typed(bool, "true or false"), Path: _path, Path | None: _optional_path,
    tuple[str, ...]: texts,
}


def must_be_table(reader: Reader, key: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise Refused("must be a table")
    return value


# --- the declarations of a dataclass -----------------------------------------------------------

@dataclass(frozen=True)
class _Key:
    name: str
    spec: Spec
    kind: Any               # the field's type
    default: Any

    @property
    def is_table(self) -> bool:
        """Written as a TOML table of its own: a nested dataclass or a table of entries."""
        return self.spec.table or bool(self.spec.examples)


@cache
def declared(cls: type) -> tuple[_Key, ...]:
    hints = get_type_hints(cls)
    out = []
    for f in fields(cls):
        if "spec" not in f.metadata:
            continue                # not a key: e.g. Config.source
        default = f.default_factory() if callable(f.default_factory) else f.default
        out.append(_Key(f.name, f.metadata["spec"], hints[f.name], default))
    return tuple(out)


_BARE = re.compile(r"[A-Za-z0-9_-]+")


def join(path: str, name: str) -> str:
    """The path of key `name` in table `path`, TOML-quoted: approval.editors."Paraf Kadis"."""
    name = name if _BARE.fullmatch(name) else json.dumps(name, ensure_ascii=False)
    return f"{path}.{name}" if path else name


def read(cls: type, raw: dict[str, Any], reader: Reader, path: str = "") -> dict[str, Any]:
    """The arguments for `cls` from its TOML table; each refused value is left out (so its
    default stands) and recorded in `reader` with its key path and the fix."""
    keys = {k.name: k for k in declared(cls)}
    out: dict[str, Any] = {}
    for name, value in raw.items():
        where = join(path, name)
        k = keys.get(name)
        if k is None:
            reader.fail(where, _unknown(cls, path, name, value))
        elif k.spec.table:
            if isinstance(value, dict):
                out[name] = k.kind(**read(k.kind, value, reader, where))
            else:
                reader.fail(where, f"'{where}' must be a table [{where}]")
        else:
            got = _value(k, reader, where, value)
            if got is not BAD:
                out[name] = got
    for k in keys.values():          # defaults: paths resolve beside the file too
        if k.name not in out:
            if k.spec.table:
                out[k.name] = k.kind(**read(k.kind, {}, reader, join(path, k.name)))
            elif isinstance(k.default, Path):
                out[k.name] = reader.path(k.default)
    return out


def _value(k: _Key, reader: Reader, where: str, value: Any) -> Any:
    try:
        got = (k.spec.read or READERS[k.kind])(reader, where, value)
    except Refused as refusal:
        shown = f", not {value!r}" if refusal.show and k.spec.echo else ""
        return reader.fail(where, f"'{where}' {refusal.text}{shown}")
    if got is BAD:
        return BAD
    problem = k.spec.check(got) if k.spec.check else None
    if problem:
        shown = f" (got {value!r})" if k.spec.echo else ""
        return reader.fail(where, f"'{where}' {problem}{shown}")
    return got


def _unknown(cls: type, path: str, name: str, value: Any) -> str:
    keys = declared(cls)
    if isinstance(value, dict) and any(k.spec.table for k in keys):
        what = f"table '[{join(path, name)}]'"
        known = {k.name: f"[{join(path, k.name)}]" for k in keys if k.is_table}
    else:
        what = f"key '{join(path, name)}'"
        known = {n: n for n in sorted(k.name for k in keys if not k.spec.table)}
    secret = [k.name for k in keys if not k.spec.echo]
    if secret and any(word in name.casefold() for word in ("password", "token", "secret", "key")):
        return (f"unknown {what}; a secret never goes in this file: remove it and put it in the "
                f"environment variable that '{join(path, secret[0])}' names")
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean '{known[close[0]]}'?)" if close else ""
    return f"unknown {what}{hint}; remove it or use one of: {', '.join(known.values())}"


# --- the example file --------------------------------------------------------------------------

def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Path):
        value = value.as_posix()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)    # JSON's escapes are TOML's
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{join('', k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}; give the key an example")


def _comments(text: str) -> list[str]:
    return [f"# {line}".rstrip() for line in text.splitlines()]


def example(cls: type, header: str) -> str:
    """The commented TOML file of `cls` with every key at its default."""
    lines = [*_comments(header), ""]
    _table(cls, "", None, lines)
    return "\n".join(lines) + "\n"


def _table(cls: type | None, path: str, spec: Spec | None, lines: list[str]) -> None:
    block: list[tuple[str, str]] = []       # (text, comment beside it), aligned together
    if spec is not None:
        lines.append("")
        lines.extend(_comments(spec.above))
        block.append((f"[{path}]", spec.doc))
    keys = declared(cls) if cls else ()
    for k in keys:
        if k.is_table:
            continue
        block.extend((line, "") for line in _comments(k.spec.above))
        if k.spec.example is not None:
            block.append((f"# {k.name} = {k.spec.example}", k.spec.doc))
        else:
            block.append((f"{k.name} = {toml_value(k.default)}", k.spec.doc))
    if spec is not None:
        block.extend((line, "") for line in _comments("\n".join(spec.examples)))
    column = max([COMMENT_COLUMN] + [len(text) + 3 for text, doc in block if doc])
    for text, doc in block:
        first, *more = doc.splitlines() or [""]
        lines.append(f"{text:<{column}}# {first}" if doc else text)
        lines.extend(" " * column + f"# {line}" for line in more)
    for k in keys:
        if k.is_table:
            _table(k.kind if k.spec.table else None, join(path, k.name), k.spec, lines)
