"""probe_tcp and port_answering against real loopback sockets (no Docker)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from lab.checks import port_answering
from lab.checks.net import probe_tcp


def serve(behaviour: Callable[[socket.socket], None]) -> Iterator[int]:
    """A loopback server on a free port that treats each connection with behaviour."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.05)  # accept() wakes up often enough to notice the stop
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            behaviour(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.fixture
def holding() -> Iterator[int]:
    """A server that keeps connections open and says nothing (like an HTTP server)."""
    kept: list[socket.socket] = []
    yield from serve(kept.append)
    for conn in kept:
        conn.close()


@pytest.fixture
def closing() -> Iterator[int]:
    """Accepts and closes at once: what docker-proxy does when nothing listens behind it."""
    yield from serve(lambda conn: conn.close())


@pytest.fixture
def greeting() -> Iterator[int]:
    """Sends a banner, then closes (an SMTP/SSH-like server)."""

    def greet(conn: socket.socket) -> None:
        conn.sendall(b"220 hello\r\n")
        conn.close()

    yield from serve(greet)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_holding_server_answers(holding: int) -> None:
    assert probe_tcp("127.0.0.1", holding, wait=0).answered
    assert (
        port_answering("127.0.0.1", holding).message == f"something answers on 127.0.0.1:{holding}"
    )


def test_a_greeting_server_answers(greeting: int) -> None:
    assert probe_tcp("127.0.0.1", greeting, wait=0).answered


def test_accept_and_close_is_not_an_answer(closing: int) -> None:
    probe = probe_tcp("127.0.0.1", closing, wait=0.5)
    assert not probe.answered
    assert "closed at once" in probe.reason
    assert 0.5 <= probe.seconds < 3


def test_refused_port() -> None:
    port = free_port()
    verdict = port_answering("127.0.0.1", port, wait=0.3)
    assert not verdict.passed
    assert verdict.message.startswith(
        f"nothing answers on 127.0.0.1:{port} (connection refused, after 0."
    )


def test_retries_until_the_server_listens() -> None:
    port = free_port()
    server = socket.socket()
    timer = threading.Timer(0.6, lambda: (server.bind(("127.0.0.1", port)), server.listen()))
    timer.start()
    try:
        probe = probe_tcp("127.0.0.1", port, wait=5)
        assert probe.answered, probe
        assert probe.seconds >= 0.5
    finally:
        timer.join()
        server.close()
