"""The one builder of config.toml text for the tests.

    config_toml()                                   # the tests' workspace (WORKSPACE)
    config_toml(website={"url": URL}, media={"max_file_mb": 200})
    config_toml(poll_interval_seconds=1, notify={"telegram": {"api_base": url}})
    config_toml(None, agenda={"path": 5})           # only what is given, on nothing

`base` (the tests' workspace unless told otherwise; None or {} for nothing) is merged with the
keywords, table by table: a dict is a table (a dict inside it a sub-table, e.g.
`website={"categories": {...}}` is [website.categories]), anything else a key; a key given as
None is left out, so `agenda={"path": None, ...}` drops the base's .xlsx path. Values are
written as TOML: strings in double quotes, booleans, numbers, arrays, and inline tables for
dicts inside arrays. Keys that are not bare TOML keys ("Siaran Pers", "Paraf Kadis") are
quoted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

WORKSPACE: Mapping[str, Any] = {
    "timezone": "Asia/Makassar",
    "state_dir": "state",
    "agenda": {"path": "buku_agenda.xlsx"},
    "media": {"base_dir": "media", "max_file_mb": 2},
    "website": {"output_dir": "site", "url": "https://diskominfo.example.go.id/berita"},
    # A page takes about 0.2 s to make: only the tests about pages make them (PAGES).
    "preview": {"enabled": False},
}


def config_toml(base: Mapping[str, Any] | None = WORKSPACE, /, **tables: Any) -> str:
    """config.toml text: `base` with `tables` on top (see the module's docstring)."""
    lines: list[str] = []
    _table(lines, (), merged(base or {}, tables))
    return "\n".join(lines) + "\n" if lines else ""


def merged(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `top` on top, tables merged key by key; a key set to None goes."""
    out = {k: v for k, v in base.items() if v is not None}
    for key, value in top.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        elif isinstance(value, Mapping):
            out[key] = merged({}, value)
        else:
            out[key] = value
    return out


def _table(lines: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    keys = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    subtables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    if path and (keys or not subtables):        # a table holding only tables needs no header
        lines.append("[" + ".".join(_key(p) for p in path) + "]")
    lines += [f"{_key(k)} = {_value(v)}" for k, v in keys.items()]
    for name, sub in subtables.items():
        _table(lines, (*path, name), sub)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"config_toml: no TOML for {value!r}")
