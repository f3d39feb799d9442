"""Google's OAuth token endpoint for a service account: key files, the JWT-bearer grant,
access tokens and their scopes."""

from __future__ import annotations

import json
import secrets
import time
from urllib.parse import parse_qsl

from cryptography.exceptions import InvalidSignature  # a dependency of google-auth
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .common import SERVICE_ACCOUNT, ApiError, _b64decode

TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # google-auth's JWT `aud`, whatever token_uri is
_SCOPES = "https://www.googleapis.com/auth/"
_NEEDED_SCOPES = {  # any one of these lets a token through
    ("sheets", "read"): {"spreadsheets", "spreadsheets.readonly", "drive", "drive.readonly", "drive.file"},
    ("sheets", "write"): {"spreadsheets", "drive", "drive.file"},
    ("drive", "read"): {"drive", "drive.readonly", "drive.file", "drive.metadata", "drive.metadata.readonly"},
    ("drive", "media"): {"drive", "drive.readonly", "drive.file"},
    ("drive", "write"): {"drive", "drive.file"},
}


def _oauth_error(error: str, description: str) -> ApiError:  # the token endpoint's own format
    return ApiError(400, description, body={"error": error, "error_description": description})


# ----------------------------------------------------------------------------- keys and JWT

_KEYS: list[rsa.RSAPrivateKey] = []  # generated once per process: a 2048-bit key takes ~50 ms


def _rsa_key(index: int) -> rsa.RSAPrivateKey:
    while len(_KEYS) <= index:
        _KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEYS[index]


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


class Tokens:
    """FakeGoogle's credentials: key files, tokens issued and checked. Uses the state
    FakeGoogle.__init__ sets up (`_accounts`, `_key_id`, `_tokens`, `_lock`)."""

    # -- credentials

    def service_account_info(self, valid: bool = True) -> dict[str, str]:
        """A service-account key file. valid=False: same account, a key Google does not know."""
        return {
            "type": "service_account", "project_id": "buku-agenda-test",
            "private_key_id": self._key_id, "private_key": _pem(_rsa_key(0 if valid else 1)),
            "client_email": SERVICE_ACCOUNT, "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": f"{self.base_url}/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                    + SERVICE_ACCOUNT.replace("@", "%40"),
            "universe_domain": "googleapis.com"}

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working (401 until the client refreshes)."""
        with self._lock:
            self._tokens.clear()

    def revoke_key(self) -> None:
        """The key is deleted in the console: tokens issued keep working, refreshing with a key
        file handed out before fails. service_account_info() then hands out a new key."""
        with self._lock:
            self._key_id = secrets.token_hex(20)

    # -- OAuth

    def _token(self, raw: bytes) -> dict:
        """The JWT-bearer grant of a service account (what google-auth does on refresh)."""
        form = dict(parse_qsl(raw.decode()))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            raise _oauth_error("unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type')}")
        try:
            head, payload, signature = form.get("assertion", "").split(".")
            header, claims = json.loads(_b64decode(head)), json.loads(_b64decode(payload))
        except ValueError:
            raise _oauth_error("invalid_grant", "Invalid JWT: could not be decoded.") from None
        public_key = self._accounts.get(claims.get("iss"))
        if public_key is None:
            raise _oauth_error("invalid_grant", "Invalid grant: account not found")
        try:
            if header.get("alg") != "RS256" or header.get("kid", self._key_id) != self._key_id:
                raise InvalidSignature
            public_key.verify(_b64decode(signature), f"{head}.{payload}".encode(), padding.PKCS1v15(),
                              hashes.SHA256())
        except InvalidSignature:
            raise _oauth_error("invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("aud") != TOKEN_AUDIENCE:
            raise _oauth_error("invalid_grant", "Invalid JWT: Failed audience check. The right audience is "
                                                + TOKEN_AUDIENCE)
        now, iat, exp = time.time(), claims.get("iat", 0), claims.get("exp", 0)
        if not (exp > now and iat <= now + 300 and exp - iat <= 3600):
            raise _oauth_error("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) "
                                                "and in a reasonable timeframe. Check your iat and exp values "
                                                "in the JWT claim.")
        scopes = {s.removeprefix(_SCOPES) for s in str(claims.get("scope", "")).split()}
        if not scopes:
            raise _oauth_error("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        token = "ya29.fake-" + secrets.token_urlsafe(32)
        self._tokens[token] = (claims["iss"], scopes, now + self.token_lifetime)
        return {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}

    def _authenticate(self, authorization: str) -> tuple[str, set[str]]:
        user, scopes, expiry = self._tokens.get(authorization.removeprefix("Bearer "), ("", set(), 0.0))
        if expiry <= time.time():
            missing = "is missing required" if not authorization.startswith("Bearer ") else "had invalid"
            raise ApiError(401, f"Request {missing} authentication credentials. Expected OAuth 2 access "
                                "token, login cookie or other valid authentication credential.",
                           headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                                                        'error="invalid_token"'})
        return user, scopes
