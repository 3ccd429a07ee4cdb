"""HTTP plumbing shared by the registry client and `http_status`: TLS settings, error wording."""

from __future__ import annotations

import os
import re
import ssl
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.util.ssl_ import create_urllib3_context

from lab.errors import UsageError

TIMEOUT = (5.0, 15.0)
"""(connect, read) seconds for each request: a check must not hang on a silent server."""

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^\"')]+)")
_SSL = re.compile(r"\[SSL(?:: [A-Z_]+)?\] (.+?)(?: \(_ssl\.c:\d+\))?['\")]")


def tls_verify(ca: str | Path | None) -> str | bool:
    """The `verify=` of requests: the CA file when given (it must exist), else the system store."""
    if ca is None:
        return True
    path = Path(ca)
    if not path.is_file():
        raise UsageError(
            f"CA file {path} does not exist",
            "pass the CA certificate (PEM) that signed the server's, e.g. --ca certs/ca.crt",
        )
    return str(path)


_contexts: dict[tuple[Any, ...], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def tls_context(cafile: str | None = None, capath: str | None = None) -> ssl.SSLContext:
    """A verifying TLS context that trusts cafile (or the certificates in capath); neither:
    the bundle requests trusts (REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE when set).

    Loaded once per process while the file stays the same: loading a CA bundle takes ~16 ms
    here, and requests would do it for every new connection."""
    if cafile is None and capath is None:  # what requests trusts when verify=True
        env = os.environ
        cafile = (
            env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or DEFAULT_CA_BUNDLE_PATH
        )
    info = os.stat(cafile or capath or "")
    key = (cafile, capath, info.st_ino, info.st_mtime_ns, info.st_size)
    with _contexts_lock:
        context = _contexts.get(key)
    if context is None:
        context = create_urllib3_context()
        context.load_verify_locations(cafile=cafile, capath=capath)
        with _contexts_lock:
            context = _contexts.setdefault(key, context)
    return context


class _SharedTLSAdapter(HTTPAdapter):
    """requests' adapter, with each connection pool verifying through a shared tls_context()
    instead of loading the CA file again for every connection."""

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        cafile, capath = getattr(conn, "ca_certs", None), getattr(conn, "ca_cert_dir", None)
        if conn.cert_reqs == "CERT_REQUIRED" and (cafile or capath):
            conn.conn_kw["ssl_context"] = tls_context(cafile, capath)
            conn.ca_certs = conn.ca_cert_dir = None


def new_session() -> requests.Session:
    """A requests session for checks (TLS contexts shared, see tls_context)."""
    session = requests.Session()
    session.mount("https://", _SharedTLSAdapter())
    return session


def describe_error(exc: BaseException) -> str:
    """A short lowercase reason for a failed request: `connection refused`, `timed out`, ..."""
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    text = str(exc)
    tls = _SSL.search(text)
    if tls:
        return tls.group(1).strip()
    errno = _ERRNO.search(text)
    if errno:
        return errno.group(1).strip().lower()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def safe_url(url: str) -> str:
    """The URL with any password in it masked (`https://user:***@host/`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc}"))


def is_tls_refusal(response: requests.Response) -> bool:
    """True when a plain-HTTP request reached a TLS server (Go's servers answer 400 and say so)."""
    return response.status_code == 400 and "HTTPS server" in response.text
