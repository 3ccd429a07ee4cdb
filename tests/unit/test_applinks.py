"""`lab assert app`: an app link's app answers, judged from the HTTP status itself."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lab.checks.remote import http_get
from lab.lesson.model import Lesson
from lab.lesson.parser import parse_text
from lab.runner.applinks import check_app_link

STATUS = {"/ok": 200, "/missing": 404, "/broken": 500, "/moved": 302}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(STATUS.get(self.path, 200))
        if self.path == "/moved":
            self.send_header("Location", "/ok")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def lesson(port: int) -> Lesson:
    links = " ".join(
        f'[{path}]({path}){{:data-term=".term1"}}{{:data-port="{port}"}}' for path in STATUS
    )
    return parse_text(f"```.term1\ntrue\n```\n\nOpen {links}.\n", "x.md")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_answer_is_structured(port: int) -> None:
    answer = http_get(f"http://127.0.0.1:{port}/moved")
    assert answer.status == 302
    assert answer.message == f"GET http://127.0.0.1:{port}/moved answered 302 Found → /ok"
    assert answer.verdict(302).passed and not answer.verdict(200).passed
    nobody = http_get(f"http://127.0.0.1:{free_port()}/")
    assert nobody.status is None and "got no answer" in nobody.message
    assert not nobody.verdict(200).passed


def test_any_status_short_of_a_server_error_will_do(port: int) -> None:
    ok = check_app_link(lesson(port), 1)
    assert ok.passed
    assert (
        ok.message
        == f"app link 1 ('/ok', term1 port {port}): GET http://127.0.0.1:{port}/ok answered 200 OK"
    )
    assert check_app_link(lesson(port), 2).passed  # 404: the app answers
    broken = check_app_link(lesson(port), 3)
    assert not broken.passed and broken.message.endswith("answered 500 Internal Server Error")


def test_a_given_status_must_be_the_one(port: int) -> None:
    assert check_app_link(lesson(port), 2, 404).passed
    wrong = check_app_link(lesson(port), 1, 404)
    assert not wrong.passed and wrong.message.endswith("answered 200 OK (expected 404)")


def test_no_answer_fails() -> None:
    nobody = check_app_link(lesson(free_port()), 1)
    assert not nobody.passed and "got no answer" in nobody.message
