"""`lab serve` in a real browser: Debian's chromium, headless, driven by Selenium through
chromium-driver. Two attendees join through the join page, each runs step 1 of part 1 on their
own sandbox node, a refresh resumes with a usable terminal, a wrong code is refused, and
stopping the server leaves nothing on the engine.

What the browser shows is read two ways: screenshots (PNG), and the bytes the page's
websocket received (teed by a script added before the page's own), drawn by pyte at the
size the page asked for — the text xterm.js drew on its canvas.

LAB_SCREENSHOTS=DIR keeps the screenshots there (docs/classroom.md shows assets/'s)."""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyte
import pytest

from lab.checks import connect
from lab.errors import ExitStatus
from tests.serve.room_process import Served, room_objects, start_room

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(420)]

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip(
        "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver;"
        " .ci/run installs them)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402  (only once the browser is known to be here)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions as until  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WINDOW = (1400, 900)
TEE = """
(() => {
  const Native = window.WebSocket;
  window.__labBytes = [];
  window.__labSize = null;
  function Teed(url, protocols) {
    const ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
    ws.addEventListener("message", (e) => {
      if (typeof e.data === "string") return;
      const bytes = new Uint8Array(e.data);
      let text = "";
      for (let i = 0; i < bytes.length; i += 8192) {
        text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
      }
      window.__labBytes.push(btoa(text));
    });
    const send = ws.send.bind(ws);
    ws.send = (data) => {
      if (typeof data === "string" && data.startsWith('["resize"')) {
        window.__labSize = JSON.parse(data)[1];
      }
      return send(data);
    };
    return ws;
  }
  Teed.prototype = Native.prototype;
  Object.assign(Teed, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Teed;
})();
"""


class Page:
    """One attendee's browser: the Selenium driver and the terminal it drew."""

    def __init__(self, driver: WebDriver, shots: Path) -> None:
        self.driver = driver
        self.shots = shots
        self.screen: pyte.Screen | None = None
        self.stream: pyte.ByteStream | None = None

    def open(self, url: str) -> None:
        self.screen = None
        self.driver.get(url)

    def _pull(self) -> None:
        size = self.driver.execute_script("return window.__labSize")
        chunks = self.driver.execute_script("return (window.__labBytes || []).splice(0)")
        if self.screen is None:
            if not size:
                return
            self.screen = pyte.Screen(int(size["width"]), int(size["height"]))
            self.stream = pyte.ByteStream(self.screen)
        assert self.stream is not None
        for chunk in chunks:
            self.stream.feed(base64.b64decode(chunk))

    def text(self) -> str:
        self._pull()
        if self.screen is None:
            return ""
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            found = re.search(pattern, text)
            if found:
                return found
            if time.monotonic() > deadline:
                self.shot("failed")
                raise AssertionError(f"{pattern!r} not on the page in {timeout:g} s:\n{text}")
            time.sleep(0.3)

    def keys(self, *keys: str) -> None:
        """Type into the page's terminal (xterm.js's hidden textarea takes the keyboard)."""
        box = self.driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea")
        box.send_keys(*keys)

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@pytest.fixture
def browsers(tmp_path: Path) -> Iterator[Callable[[], Page]]:
    from selenium.webdriver.chrome.service import Service

    opened: list[WebDriver] = []

    def new() -> Page:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in (
            "--headless=new",
            "--no-sandbox",  # as root (the browser's own sandbox, not lab's)
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
        ):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TEE})
        opened.append(driver)
        return Page(driver, tmp_path)

    try:
        yield new
    finally:
        for driver in opened:
            driver.quit()
    keep = os.environ.get("LAB_SCREENSHOTS")
    if keep:
        for shot in tmp_path.glob("classroom-*.png"):
            shutil.copy(shot, Path(keep) / shot.name)


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Served]:
    env = {**os.environ, "LAB_STATE_DIR": str(tmp_path / "state")}
    served = start_room("--seats", "2", "--title", "Docker registries workshop", env=env)
    try:
        yield served
    finally:
        if served.process.poll() is None:
            print(served.stop()[1])


def wait(page: Page, seconds: float = 30) -> WebDriverWait[WebDriver]:
    return WebDriverWait(page.driver, seconds)


def join(page: Page, url: str, name: str, *, code: str | None = None) -> None:
    page.open(url)
    page.driver.find_element(By.ID, "name").send_keys(name)
    if code is not None:
        field = page.driver.find_element(By.ID, "code")
        field.clear()
        field.send_keys(code)
    page.driver.find_element(By.ID, "enter").click()


def test_two_attendees_in_real_browsers(room: Served, browsers: Callable[[], Page]) -> None:
    engine = connect()
    join_url = f"{room.base}/join?code={room.code}"
    ana, ben = browsers(), browsers()

    # a wrong code: refused on the join page, and no app started
    join(ana, f"{room.base}/join", "Ana", code="WRNG-CODE")
    refusal = wait(ana).until(until.presence_of_element_located((By.ID, "refusal"))).text
    assert "That room code is not this room's" in refusal
    assert ana.driver.current_url.endswith("/join")
    assert room.apps() == []

    # the join page as the instructor's URL opens it: the code is filled in
    ana.open(join_url)
    assert ana.driver.find_element(By.ID, "code").get_attribute("value") == room.code
    ana.driver.find_element(By.ID, "name").send_keys("Ana")
    ana.shot("classroom-join")
    ana.driver.find_element(By.ID, "enter").click()
    join(ben, join_url, "Ben")

    # each runs step 1 in their own sandbox node
    for page in (ana, ben):
        wait(page).until(until.url_to_be(f"{room.base}/"))
        page.wait_for(r"Step 1 · term1", timeout=90)
        page.wait_for(r"│\$ ", timeout=90)
        page.keys(Keys.ENTER)
    for page in (ana, ben):
        page.wait_for(r"Step 1 · term1[\s\S]*?✓ passed", timeout=120)
    time.sleep(1)  # the check marks and header counts settle
    ana.shot("classroom-attendee-ana")
    ben.shot("classroom-attendee-ben")
    assert len(room.apps()) == 2  # one app each, forked by the room's zygote
    nodes = engine.containers.list(filters={"label": f"lab.sandbox.room={room.room}"})
    assert len(nodes) == 2
    for node in nodes:
        code, out = node.exec_run(["docker", "ps", "--format", "{{.Names}}"])
        assert (code, out.decode().strip()) == (0, "registry")

    # a refresh: the same session, step 1 verified, at step 2, the terminal usable
    ana.driver.refresh()
    ana.wait_for(r"1/13 done", timeout=90)
    ana.wait_for(r"Step 1 · term1[\s\S]*?✓ passed earlier[\s\S]*?Step 2 · term1", timeout=90)
    ana.wait_for(r"│\$ ", timeout=90)
    ana.keys(Keys.F6)
    ana.wait_for(r"\n\s*f6 Lesson ⇄ terminal\s*$", timeout=30)
    ana.keys("docker ps --format '{{.Names}} is still up'", Keys.ENTER)
    ana.wait_for(r"│registry is still up", timeout=30)
    ana.shot("classroom-after-refresh")

    # the instructor's page (in Ben's browser, his lesson closed): who is here, how far
    ben.open(room.instructor)
    table = wait(ben).until(until.presence_of_element_located((By.ID, "attendees"))).text
    assert re.search(r"1 Ana connected 1 running, [\d.]+ MiB registry-1-local 1/13", table), table
    assert re.search(r"2 Ben (connected|away 0 min) 1 running", table), table
    ben.shot("classroom-instructor")

    # stopping the server: every page's app ends, nothing of the room is left
    status, output = room.stop(signal.SIGINT)
    assert status == ExitStatus.OK, output
    assert room_objects(engine, room.room) == []
    assert len(re.findall(r"removed node node1", output)) == 2


def test_the_join_page_is_all_a_browser_without_the_code_gets(
    room: Served, browsers: Callable[[], Page]
) -> None:
    page = browsers()
    page.open(f"{room.base}/")
    wait(page).until(until.url_to_be(f"{room.base}/join"))
    assert page.driver.find_element(By.ID, "code").get_attribute("value") == ""
    page.open(f"{room.base}/static/js/textual.js")
    wait(page).until(until.text_to_be_present_in_element((By.TAG_NAME, "body"), "join the room"))
    page.open(f"{room.base}/instructor")
    wait(page).until(until.text_to_be_present_in_element((By.TAG_NAME, "body"), "Instructor only"))
    page.open(room.instructor)
    code = wait(page).until(until.presence_of_element_located((By.ID, "room-code")))
    assert code.text == room.code
    # the instructor's cookie does not open an attendee's page
    page.open(f"{room.base}/")
    wait(page).until(until.url_to_be(f"{room.base}/join"))
