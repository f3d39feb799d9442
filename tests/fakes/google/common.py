"""What the parts of FakeGoogle share: who is who, the error reply, field masks."""

from __future__ import annotations

import base64
import copy
import re
from typing import Any

OWNER = "owner@example.go.id"
SERVICE_ACCOUNT = "buku-agenda@buku-agenda-test.iam.gserviceaccount.com"


# ----------------------------------------------------------------------------- errors

_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
           404: "NOT_FOUND", 416: "OUT_OF_RANGE", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
           503: "UNAVAILABLE"}


class ApiError(Exception):
    """An error reply. The body is Google's JSON error: gspread reads `error.code` from it, and
    Drive's `error.errors[0].reason` is what googleapiclient's retry logic looks at."""

    def __init__(self, code: int, message: str, reason: str | None = None, domain: str = "global",
                 headers: dict[str, str] | None = None, body: dict | None = None):
        super().__init__(message)
        error: dict[str, Any] = {"code": code, "message": message, "status": _STATUS.get(code, "UNKNOWN")}
        if reason:
            error["errors"] = [{"message": message, "domain": domain, "reason": reason}]
        self.code, self.headers, self.body = code, dict(headers or {}), body or {"error": error}


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# ----------------------------------------------------------------------------- field masks

def parse_fields(text: str) -> dict:
    """A partial-response / update mask ("sheets.properties,files(id,name)") as a tree:
    {name: subtree or None for "all of it"}."""
    tokens, pos = re.findall(r"[^,()\s]+|[,()]", text), 0

    def merge(tree: dict, path: list[str], sub: dict | None) -> None:
        for key in path[:-1]:
            if key in tree and tree[key] is None:
                return
            tree = tree.setdefault(key, {})
        last = path[-1]
        if sub is None or tree.get(last, {}) is None:
            tree[last] = None
        else:
            for key, value in sub.items():
                merge(tree.setdefault(last, {}), [key], value)

    def parse_list() -> dict:
        nonlocal pos
        tree: dict = {}
        while pos < len(tokens) and tokens[pos] not in ",)":
            path, sub = re.split(r"[./]", tokens[pos]), None
            pos += 1
            if pos < len(tokens) and tokens[pos] == "(":
                pos += 1
                sub = parse_list()
                pos += 1
            merge(tree, path, sub)
            if pos < len(tokens) and tokens[pos] == ",":
                pos += 1
        return tree

    return parse_list()


def apply_mask(obj: Any, tree: dict | None) -> Any:
    if tree is None or "*" in tree:
        return obj
    if isinstance(obj, list):
        return [apply_mask(item, tree) for item in obj]
    if isinstance(obj, dict):
        return {key: apply_mask(obj[key], sub) for key, sub in tree.items() if key in obj}
    return obj


def _assign(target: dict, source: dict, tree: dict | None) -> None:
    """Update-mask semantics: masked fields are copied from source, or cleared when absent."""
    if tree is None or "*" in tree:
        target.clear()
        target.update(copy.deepcopy(source))
        return
    for key, sub in tree.items():
        if sub is None or not isinstance(source.get(key, {}), dict):
            if key in source:
                target[key] = copy.deepcopy(source[key])
            else:
                target.pop(key, None)
        else:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            _assign(target[key], source.get(key, {}), sub)
