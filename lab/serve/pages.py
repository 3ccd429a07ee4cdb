"""The room's HTML: the join page (the only page served without the room code), the
attendee's lesson page around Textual's terminal, the instructor's page. Every value that
came from a person is escaped."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

STYLE = """
body { margin: 0; background: #0c181f; color: #e8eef2;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 34rem; margin: 8vh auto; padding: 2rem 2.5rem; background: #12232d;
  border-radius: 10px; box-shadow: 0 10px 40px #0008; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
p.lead { color: #9fb3c0; margin-top: 0; }
label { display: block; margin: 1.1rem 0 .3rem; font-weight: 600; }
input { box-sizing: border-box; width: 100%; padding: .6rem .75rem; font-size: 1.1rem;
  border-radius: 6px; border: 1px solid #35505f; background: #0c181f; color: #fff; }
input.code { font-family: ui-monospace, "Roboto Mono", monospace; letter-spacing: .12em; }
button { margin-top: 1.5rem; padding: .7rem 1.6rem; font-size: 1.05rem; border: 0;
  border-radius: 6px; background: #2f7bd6; color: #fff; cursor: pointer; }
button:hover { background: #4b93ea; }
.refusal { padding: .7rem 1rem; border-left: 4px solid #e5534b; background: #2a1b1f;
  border-radius: 4px; }
.small { color: #9fb3c0; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #23404f; }
.wide { max-width: 70rem; }
.code-big { font: 600 2.4rem ui-monospace, "Roboto Mono", monospace; letter-spacing: .15em; }
.ok { color: #57ab5a; } .away { color: #c69026; }
"""


def _page(title: str, body: str, *, refresh: int | None = None) -> str:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{meta}<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def join_page(*, title: str, code: str = "", name: str = "", refusal: str = "") -> str:
    """The join page: name (or seat number) and room code; a refusal above the form."""
    said = f'<p class="refusal" id="refusal">{escape(refusal)}</p>' if refusal else ""
    return _page(
        f"Join — {title}",
        f"""<main>
<h1>{escape(title)}</h1>
<p class="lead">A hands-on Docker workshop. Your terminals run on your own throw-away
Docker hosts; nobody else can see or touch them.</p>
{said}
<form method="post" action="/join" id="join">
<label for="name">Your name (or seat number)</label>
<input id="name" name="name" value="{escape(name)}" maxlength="40" autocomplete="name"
 autofocus required>
<label for="code">Room code</label>
<input id="code" name="code" class="code" value="{escape(code)}" maxlength="12"
 autocomplete="off" spellcheck="false" required>
<button type="submit" id="enter">Join the room</button>
</form>
<p class="small">Reopening this page, refreshing it or losing the Wi-Fi for a while loses
nothing: you come back to where you were.</p>
</main>""",
    )


def full_page(*, title: str, message: str) -> str:
    """No seat left."""
    return _page(
        f"Room full — {title}",
        f"""<main><h1>This room is full</h1>
<p class="refusal" id="refusal">{escape(message)}</p></main>""",
    )


def lesson_page(*, title: str, name: str, font_size: int = 16) -> str:
    """The attendee's page: Textual's terminal (textual-serve's script and styles), which
    connects to /ws; a closed connection offers to reconnect to the same session."""
    return f"""<!DOCTYPE html>
<html lang=en><head><meta charset=utf-8><title>{escape(title)} — {escape(name)}</title>
<link rel="stylesheet" href="/static/css/xterm.css">
<script src="/static/js/textual.js"></script>
<style>
@font-face {{ font-family: "Roboto Mono";
  src: url("/static/fonts/RobotoMono-VariableFont_wght.ttf"); }}
html, body {{ margin: 0; height: 100%; background: #0c181f; }}
#terminal {{ position: absolute; inset: 0; }}
.dialog {{ position: absolute; inset: 0; display: flex; align-items: center;
  justify-content: center; z-index: 10; background: #0c181f; color: #e8eef2;
  font: 18px system-ui, sans-serif; }}
.dialog div {{ text-align: center; }}
.dialog button {{ margin-top: 1rem; padding: .7rem 1.6rem; font-size: 1rem; border: 0;
  border-radius: 6px; background: #2f7bd6; color: #fff; cursor: pointer; }}
body.-first-byte #starting, #closed {{ display: none; }}
body.-closed #closed {{ display: flex; }}
.textual-terminal {{ opacity: 0; }}
body.-first-byte .textual-terminal {{ opacity: 1; }}
</style></head>
<body>
<div class="dialog" id="starting"><div>Opening your lesson, {escape(name)}…</div></div>
<div class="dialog" id="closed"><div>The connection closed. Your work is kept.<br>
<button type="button" onclick="location.reload()" id="reconnect">Reconnect</button></div></div>
<div id="terminal" class="textual-terminal" data-font-size="{font_size}"></div>
<script>
document.getElementById("terminal").dataset.sessionWebsocketUrl =
  (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
</script>
</body></html>
"""


@dataclass(frozen=True)
class Row:
    """One attendee on the instructor's page."""

    seat: int
    name: str
    status: str
    """`connected`, or `away 4 min`."""
    nodes: str
    """`1 running, 143 MiB`, `stopped (idle)`, `none yet`."""
    progress: str
    """`part 1: 3/9 · part 2: 0/7`."""
    connected: bool


def instructor_page(
    *, title: str, code: str, join_url: str, seats: int, limits: str, rows: list[Row]
) -> str:
    """The room at a glance: the code to show the room, who joined and how far they are."""
    lines = "\n".join(
        f"<tr><td>{r.seat}</td><td>{escape(r.name)}</td>"
        f'<td class="{"ok" if r.connected else "away"}">{escape(r.status)}</td>'
        f"<td>{escape(r.nodes)}</td><td>{escape(r.progress)}</td></tr>"
        for r in rows
    )
    empty = '<tr><td colspan="5" class="small">Nobody has joined yet.</td></tr>'
    return _page(
        f"Instructor — {title}",
        f"""<main class="wide">
<h1>{escape(title)}</h1>
<p class="lead">Attendees open <b>{escape(join_url)}</b> and type the room code:</p>
<p class="code-big" id="room-code">{escape(code)}</p>
<p class="small">{len(rows)} of {seats} seats taken · each node: {escape(limits)} ·
this page refreshes every 5 s</p>
<table id="attendees"><tr><th>seat</th><th>name</th><th>browser</th><th>nodes</th>
<th>progress</th></tr>
{lines or empty}
</table></main>""",
        refresh=5,
    )


def refused_page(*, title: str, message: str) -> str:
    """A plain refusal (a wrong instructor key)."""
    return _page(
        title, f'<main><h1>{escape(title)}</h1><p class="refusal">{escape(message)}</p></main>'
    )
