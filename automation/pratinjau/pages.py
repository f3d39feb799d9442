"""Where Pratinjau and Lembar Arsip files go, and what the `Pratinjau` cell links to
(SPEC section 9): .xlsx backend, `preview.dir` beside the agenda, linked by a path relative to
the agenda's folder (it opens from the shared folder on every PC); Google backend,
`state_dir/pratinjau`, and uploaded to a shared-drive folder when one is set (a `DriveShelf`):
then the link is the Drive file's, known once it is uploaded."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from automation.ports import AdapterError
from automation.pratinjau.page import Page

if TYPE_CHECKING:
    from automation.pratinjau.drive import DriveShelf


def is_web_link(link: str) -> bool:
    """Whether a page's link opens anywhere (a Drive file), not only from the agenda's folder
    or on the server."""
    return link.startswith(("https://", "http://"))


class ShelfError(AdapterError):
    """A page could not be put in the Drive folder now (Drive out of reach); the message says
    why."""


class ShelfRefused(ShelfError):
    """Google refused for good (folder gone or not shared, no permission, a My Drive folder):
    nothing changes until the administrator fixes it; the message says how."""


class Pages:
    """`write=False` (a dry run): links are worked out, nothing is made."""

    def __init__(self, folder: Path, relative_to: Path | None, write: bool = True,
                 shelf: DriveShelf | None = None):
        self.folder, self.relative_to, self.write = folder, relative_to, write
        self.shelf = shelf

    def read_only(self) -> Pages:
        return Pages(self.folder, self.relative_to, write=False, shelf=self.shelf)

    def link(self, name: str) -> str:
        """What the cell links to for a page made here; "" when that is known only once the
        page is uploaded (`upload`)."""
        if self.shelf is not None:
            return ""
        path = self.folder / name
        if self.relative_to is not None:
            try:
                return Path(os.path.relpath(path, self.relative_to)).as_posix()
            except ValueError:          # another drive (Windows): the whole path
                pass
        return str(path)

    def linked(self, link: str) -> bool:
        """Whether a recorded page's link is where this configuration puts pages: with a
        Drive folder, a Drive link (a page made before the folder was set is uploaded too)."""
        return bool(link) and (self.shelf is None or is_web_link(link))

    def check(self) -> list[str]:
        """What stops pages being made here, or uploaded (English, with the fix); creates
        nothing."""
        return self._check_folder() + (self.shelf.check() if self.shelf is not None else [])

    def _check_folder(self) -> list[str]:
        if self.folder.is_dir():
            writable = os.access(self.folder, os.W_OK)
        else:
            parent = next((p for p in self.folder.parents if p.exists()), None)
            if parent is not None and not parent.is_dir():
                return [f"{self.folder} cannot be created: {parent} is a file; move it away or "
                        "set preview.dir to another folder"]
            writable = parent is not None and os.access(parent, os.W_OK)
        if writable:
            return []
        return [f"{self.folder} cannot be written by the program's user: give it write "
                "permission (a shared folder the officials can open), or set preview.dir"]

    def make(self, page: Page, name: str) -> Path:
        """The page as a PDF at its place, whole or not at all (the renderer writes aside and
        renames)."""
        from automation.pratinjau.render import render     # fpdf2 only when a page is made
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        render(page, target)
        return target

    def upload(self, path: Path) -> str:
        """The page put where it is linked from (the Drive folder); returns its link. Raises
        `ShelfError`."""
        assert self.shelf is not None, "only pages with a Drive folder are uploaded"
        return self.shelf.put(path)
