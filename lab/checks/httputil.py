"""HTTP plumbing shared by the registry client and `http_status`: TLS settings, error wording."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

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
