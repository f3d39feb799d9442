"""A real SMTP server (aiosmtpd) in its own process on a free loopback port.

    with SmtpServer(tmp_path / "smtp") as smtp:       # plain SMTP, anyone may send
        ...                                           # the program, with host 127.0.0.1, smtp.port
        smtp.messages()                               # [email.message.EmailMessage], in order
        smtp.envelopes()                              # [{"mail_from", "rcpt_tos", "login", "tls"}]

Options: login=("user", "password") requires AUTH (PLAIN or LOGIN, allowed without TLS);
tls="starttls" offers STARTTLS, tls="ssl" speaks TLS from the first byte; both show a
certificate for 127.0.0.1 and localhost signed by a throwaway authority whose file is
`smtp.ca_file` (trust it with ssl.create_default_context(cafile=smtp.ca_file));
recipients=[...] refuses any other recipient with 550.

Faults for the next messages, taken in order at DATA: reject_next(reply) answers that reply
(e.g. "451 4.3.0 Try again later") and stores nothing; slow_next(seconds) holds the answer
back, then accepts.

The server writes each accepted message to NNNN.eml (its envelope to NNNN.json) in the folder
before it answers 250: a message the client saw accepted is on disk. It stops when its stdin
closes, so it never outlives the test process.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import subprocess
import sys
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, BinaryIO

_OPTIONS_ENV = "FAKE_SMTP_OPTIONS"  # the password stays off the command line


class SmtpServer:
    """The server process and the folder it writes to; see the module's docstring."""

    def __init__(self, folder: Path, *, login: tuple[str, str] | None = None, tls: str | None = None,
                 recipients: list[str] | None = None, timeout: float = 15):
        assert tls in (None, "starttls", "ssl"), tls
        self.folder = Path(folder)
        self.login, self.tls, self.recipients, self.timeout = login, tls, recipients, timeout
        self.ca_file: Path | None = None
        self.port = 0
        self._process: subprocess.Popen | None = None
        self._log: BinaryIO | None = None

    def start(self) -> SmtpServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {
            "folder": str(self.folder), "login": self.login, "tls": self.tls,
            "recipients": [r.casefold() for r in self.recipients] if self.recipients is not None else None}
        if self.tls:
            self.ca_file, cert, key = _certificates(self.folder)
            options.update(cert=str(cert), key=str(key))
        self._log = (self.folder / "server.log").open("ab")
        self._process = subprocess.Popen(
            [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, text=True,
            env={**os.environ, _OPTIONS_ENV: json.dumps(options)})
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(self._process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.timeout)
        if not lines or not lines[0].startswith("PORT "):
            self.stop()
            log = (self.folder / "server.log").read_text(errors="replace")
            raise RuntimeError(f"the SMTP server did not start; its log:\n{log}")
        self.port = int(lines[0].split()[1])
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.stdin.close()  # the server's signal to stop
        try:
            self._process.wait(self.timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        self._log.close()
        self._process = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what arrived

    def messages(self) -> list[EmailMessage]:
        """As a mail store keeps them: the wire's CRLF line ends become LF."""
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(path.read_bytes().replace(b"\r\n", b"\n"))
                for path in sorted(self.folder.glob("*.eml"))]

    def envelopes(self) -> list[dict[str, Any]]:
        return [json.loads(path.with_suffix(".json").read_text())
                for path in sorted(self.folder.glob("*.eml"))]

    # -- faults

    def reject_next(self, reply: str = "451 4.3.0 Try again later", times: int = 1) -> None:
        self._add_faults([{"reply": reply}] * times)

    def slow_next(self, seconds: float, times: int = 1) -> None:
        self._add_faults([{"delay": seconds}] * times)

    def _add_faults(self, faults: list[dict[str, Any]]) -> None:
        path = self.folder / "faults.json"
        current = json.loads(path.read_text()) if path.exists() else []
        _write_atomically(path, json.dumps(current + faults).encode())


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway authority and a server certificate for 127.0.0.1 and localhost it signed:
    (authority file, certificate file, key file)."""
    # Imported here, as the server's are in _serve: each process loads only what it uses.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> x509.Certificate:
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                  critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       issuer_key.public_key()), critical=False))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
        else:
            builder = (builder
                       .add_extension(x509.SubjectAlternativeName([
                           x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
                       .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                      critical=False))
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("Buku Agenda Test CA", ca_key, "Buku Agenda Test CA", ca_key, ca=True)
    server = build("127.0.0.1", server_key, "Buku Agenda Test CA", ca_key, ca=False)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


# ----------------------------------------------------------------------------- the server process

def _serve(options: dict[str, Any]) -> None:
    import asyncio
    import ssl

    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    folder = Path(options["folder"])
    login = tuple(options["login"]) if options["login"] else None
    recipients = options["recipients"]
    context = None
    if options["tls"]:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options["cert"], options["key"])

    def next_fault() -> dict[str, Any] | None:
        path = folder / "faults.json"
        faults = json.loads(path.read_text()) if path.exists() else []
        if not faults:
            return None
        _write_atomically(path, json.dumps(faults[1:]).encode())
        return faults[0]

    class Handler:
        async def handle_RCPT(self, server: SMTP, session: Any, envelope: Any, address: str,
                              rcpt_options: list[str]) -> str:
            if recipients is not None and address.casefold() not in recipients:
                return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 Ok"

        async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
            fault = next_fault() or {}
            await asyncio.sleep(fault.get("delay", 0))
            if fault.get("reply"):
                return fault["reply"]
            number = len(list(folder.glob("*.eml"))) + 1
            auth = session.auth_data
            _write_atomically(folder / f"{number:04d}.json", json.dumps({
                "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "login": auth.login.decode() if isinstance(auth, LoginPassword) else None,
                "tls": server.transport.get_extra_info("sslcontext") is not None}).encode())
            _write_atomically(folder / f"{number:04d}.eml", envelope.original_content)
            return "250 2.0.0 Ok: queued"

    def authenticate(server: SMTP, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        given = (data.login.decode(), data.password.decode()) if isinstance(data, LoginPassword) else None
        return AuthResult(success=given == login, handled=False, auth_data=data)

    def protocol() -> SMTP:
        return SMTP(Handler(), hostname="smtp.test", ident="Buku Agenda test SMTP",
                    tls_context=context if options["tls"] == "starttls" else None,
                    authenticator=authenticate if login else None, auth_required=bool(login),
                    auth_require_tls=False)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(protocol, "127.0.0.1", 0,
                                          ssl=context if options["tls"] == "ssl" else None)
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        stdin_closed = loop.run_in_executor(None, sys.stdin.read)
        await stdin_closed
        server.close()

    asyncio.run(main())


if __name__ == "__main__":
    _serve(json.loads(os.environ[_OPTIONS_ENV]))
