"""A stateful loopback stand-in for the Fonnte WhatsApp gateway: POST /send and POST /device.

    with FakeFonnte(token="device-token") as wa:
        ...                     # the program, with notify.fonnte.api_base = wa.base_url
        wa.messages             # [WaMessage(target="081234567890", text="...")]
        wa.messages[0].file     # a message with a file: Upload(filename, content_type, data)

Fonnte answers HTTP 200 whether or not it took the message; the JSON says which:
{"status": true, "detail": "success! message in queue", "id": [...], "process": "pending",
"target": [...]} or {"status": false, "reason": "invalid token"} (the device profile says
"token invalid", as Fonnte's documentation shows). Like Fonnte, a target's leading 0 becomes 62
in the reply. A disconnected device (connected=False) still queues messages: Fonnte sends
them once the phone is back; only /device tells.

A file comes as a multipart/form-data upload (`file`, with `filename` and `message`). A device
on a plan without files (free_plan=True, shown as package "Free") refuses any request with a
file: 200 {"status": false, "reason": FILES_REFUSED}; text alone goes.

Faults for the next N requests (see telegram.LoopbackService): `refuse(reason)` (200 with
status false), `fail(status)` (an HTML error page, as a proxy in front answers), `slow(seconds)`,
`drop()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .telegram import LoopbackService, Request, Upload

FILES_REFUSED = "your package does not support sending file, please upgrade"


@dataclass
class WaMessage:
    target: str
    text: str
    params: dict[str, Any] = field(default_factory=dict)
    file: Upload | None = None


class FakeFonnte(LoopbackService):
    """One Fonnte device, on 127.0.0.1."""

    name = "FakeFonnte"

    def __init__(self, token: str = "fonnteDeviceTokenForTests", device: str = "6281234567890",
                 connected: bool = True, quota: str = "1000", free_plan: bool = False):
        super().__init__()
        self.token = token
        self.device = device
        self.connected = connected
        self.quota = quota
        self.free_plan = free_plan
        self.messages: list[WaMessage] = []

    def refuse(self, reason: str, times: int = 1) -> None:
        """Answer the next requests 200 {"status": false, "reason": reason}."""
        self.reply_next(200, {"status": False, "reason": reason}, times)

    def fail(self, status: int = 502, times: int = 1) -> None:
        page = f"<html><head><title>{status}</title></head><body><h1>{status}</h1></body></html>"
        self.reply_next(status, page, times)

    def _route(self, request: Request) -> tuple[int, Any]:
        if request.method != "POST" or request.path not in ("/send", "/device"):
            return 404, "<html><body><h1>404 Not Found</h1></body></html>"
        authorized = request.headers.get("Authorization", "") == self.token
        if request.path == "/device":
            if not authorized:
                return 200, {"reason": "token invalid", "status": False}
            return 200, {"device": self.device, "device_status": "connect" if self.connected else "disconnect",
                         "expired": "31 December 2030", "messages": len(self.messages),
                         "name": "Humas DKISP", "package": "Free" if self.free_plan else "Super",
                         "quota": self.quota, "status": True}
        if not authorized:
            return 200, {"reason": "invalid token", "status": False}
        target, text = str(request.params.get("target", "")), str(request.params.get("message", ""))
        upload = request.params.get("file")
        upload = upload if isinstance(upload, Upload) else None
        if not target.strip() or not (text.strip() or upload):
            return 200, {"reason": "input invalid", "status": False}
        if upload is not None and self.free_plan:
            return 200, {"reason": FILES_REFUSED, "status": False}
        targets = [t.strip() for t in target.split(",") if t.strip()]
        with self._lock:
            first = len(self.messages) + 1
            self.messages.extend(WaMessage(t, text, dict(request.params), upload) for t in targets)
        return 200, {"detail": "success! message in queue",
                     "id": [str(80000000 + first + i) for i in range(len(targets))],
                     "process": "pending", "requestid": first, "status": True,
                     "target": ["62" + t[1:] if t.startswith("0") else t for t in targets]}
