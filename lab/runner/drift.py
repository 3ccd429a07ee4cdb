"""Comparing a step's real output with its expected-output block, tolerant of what varies."""

from __future__ import annotations

import difflib
import re

from lab.ansi import plain

# Lines about single layers: their IDs, count and order vary run to run.
LAYER_LINE = re.compile(
    r"^[0-9a-f]{12}: (Pushed|Pushing|Preparing|Waiting|Layer already exists|Mounted from .*|"
    r"Pulling fs layer|Downloading.*|Verifying Checksum|Download complete|Extracting.*|"
    r"Pull complete|Already exists|Retrying.*)\s*$"
)
PROGRESS_LINE = re.compile(r"^[.+*o]{3,}$")
"""Key generation progress (openssl prints runs of . + *)."""
# Ordered: the first rules replace the longest, most specific tokens.
VARYING: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}"), "<bcrypt>"),
    (re.compile(r"SWMTKN-1-[0-9a-z]+-[0-9a-z]+"), "<swarm token>"),
    (re.compile(r"\b[0-9a-z]{25}\b"), "<swarm id>"),
    (re.compile(r"sha256:[0-9a-f]{64}"), "<digest>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<id>"),
    (re.compile(r"\b[0-9a-f]{12}\b"), "<id>"),
    (
        re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"),
        "<time>",
    ),
    (
        re.compile(
            r"\b(About (a|an) \w+|Less than a second|\d+ (seconds?|minutes?|hours?|days?|"
            r"weeks?|months?|years?)) ago\b"
        ),
        "<ago>",
    ),
    (re.compile(r"\bUp (About (a|an) \w+|\d+ \w+|Less than a second)"), "Up <time>"),
    (re.compile(r"\b\d+(\.\d+)?\s?([kKMGT]i?B|B)\b"), "<size>"),
    (re.compile(r"\bsize: \d+"), "size: <n>"),
    (re.compile(r"\b\d+(\.\d+)?(ms|µs|s)\b"), "<duration>"),
    (re.compile(r"\b(\d{1,3}\.){3}\d{1,3}\b"), "<ip>"),
]


def _clean_lines(text: str) -> list[str]:
    """Lines as a reader sees them: no escapes, last frame of CR redraws, no blank lines."""
    lines = []
    for raw in plain(text).split("\n"):  # progress bars redraw with CR: the last frame
        line = raw.rstrip()
        if (
            line.strip()
            and not LAYER_LINE.match(line.strip())
            and not PROGRESS_LINE.match(line.strip())
        ):
            lines.append(line)
    return lines


def _key(line: str) -> str:
    """What must agree between expected and actual: varying tokens and spacing folded."""
    for pattern, token in VARYING:
        line = pattern.sub(token, line)
    return " ".join(line.split())


def normalise(text: str) -> list[str]:
    """Lines of text with varying tokens replaced and layer, blank and spacing noise removed."""
    return [_key(line) for line in _clean_lines(text)]


def drift(expected: str, actual: str) -> str | None:
    """A readable diff (real lines shown) when the outputs differ beyond what varies, else None."""
    want, got = _clean_lines(expected), _clean_lines(actual)
    want_keys, got_keys = [_key(x) for x in want], [_key(x) for x in got]
    if want_keys == got_keys:
        return None
    out = ["--- expected", "+++ actual"]
    matcher = difflib.SequenceMatcher(a=want_keys, b=got_keys, autojunk=False)
    for group in matcher.get_grouped_opcodes(2):
        a0, a1, b0, b1 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{a0 + 1},{a1 - a0} +{b0 + 1},{b1 - b0} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + x for x in got[j1:j2])
                continue
            out.extend("-" + x for x in want[i1:i2])
            out.extend("+" + x for x in got[j1:j2])
    return "\n".join(out)
