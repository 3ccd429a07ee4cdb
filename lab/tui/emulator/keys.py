"""Textual key events -> the bytes an xterm sends for them (cursor-key mode aware)."""

from __future__ import annotations

ESC = "\x1b"
CSI = ESC + "["
SS3 = ESC + "O"

_SIMPLE = {
    "enter": "\r",
    "tab": "\t",
    "shift+tab": CSI + "Z",
    "backspace": "\x7f",  # what xterm and the Linux console send (stty erase ^?)
    "ctrl+backspace": "\x08",
    "escape": ESC,
    "space": " ",
    "ctrl+space": "\x00",
    "ctrl+at": "\x00",
    "ctrl+left_square_bracket": ESC,
    "ctrl+backslash": "\x1c",
    "ctrl+right_square_bracket": "\x1d",
    "ctrl+circumflex_accent": "\x1e",
    "ctrl+underscore": "\x1f",
    "ctrl+question_mark": "\x7f",
}
"""Keys that send a fixed sequence whatever the modes."""

_CURSOR = {"up": "A", "down": "B", "right": "C", "left": "D", "home": "H", "end": "F"}
"""Keys sent as `CSI x` (or `SS3 x` in application cursor-key mode, DECCKM)."""

_TILDE = {"insert": 2, "delete": 3, "pageup": 5, "pagedown": 6}
_TILDE.update({"f5": 15, "f6": 17, "f7": 18, "f8": 19, "f9": 20, "f10": 21, "f11": 23, "f12": 24})
"""Keys sent as `CSI n ~`."""

_PF = {"f1": "P", "f2": "Q", "f3": "R", "f4": "S"}
"""F1-F4: `SS3 x` (xterm's PF1-PF4)."""

_MODIFIERS = {"shift": 1, "alt": 2, "meta": 2, "ctrl": 4}
"""xterm's modifier parameter is 1 + the sum of these (ctrl+left -> `CSI 1;5D`)."""


def _split(key: str) -> tuple[int, str]:
    """('ctrl+shift+up') -> (xterm modifier bits, 'up')."""
    *mods, base = key.split("+") if key != "+" else ["+"]
    bits = 0
    for mod in mods:
        if mod not in _MODIFIERS:
            return -1, key
        bits |= _MODIFIERS[mod]
    return bits, base


def _special(bits: int, base: str, app_cursor: bool) -> str | None:
    """Cursor, editing and function keys, with an xterm modifier parameter if any."""
    mod = f";{bits + 1}" if bits else ""
    if base in _CURSOR:
        final = _CURSOR[base]
        if bits:
            return f"{CSI}1{mod}{final}"
        return (SS3 if app_cursor else CSI) + final
    if base in _TILDE:
        return f"{CSI}{_TILDE[base]}{mod}~"
    if base in _PF:
        return f"{CSI}1{mod}{_PF[base]}" if bits else SS3 + _PF[base]
    return None


def key_to_text(key: str, character: str | None, *, app_cursor: bool = False) -> str | None:
    """What typing `key` sends to the program in the terminal; None for nothing.

    `key` and `character` are a Textual `Key` event's; `app_cursor` is DECCKM
    (`ESC[?1h`): arrows send `ESC O A` instead of `ESC [ A`.
    """
    if key in _SIMPLE:
        return _SIMPLE[key]
    bits, base = _split(key)
    if bits < 0:
        return character or None
    special = _special(bits, base, app_cursor)
    if special is not None:
        return special
    if bits & _MODIFIERS["alt"]:  # meta sends ESC before the key
        rest = "+".join(m for m in key.split("+")[:-1] if m not in ("alt", "meta"))
        inner = key_to_text(f"{rest}+{base}" if rest else base, character, app_cursor=app_cursor)
        return ESC + inner if inner else None
    if bits & _MODIFIERS["ctrl"]:
        if len(base) == 1 and base.isascii() and base.isalpha():
            return chr(ord(base.lower()) - ord("a") + 1)  # ctrl+c -> ETX (0x03)
        return None
    if character:
        return character
    if len(base) == 1:
        return base.upper() if bits & _MODIFIERS["shift"] else base
    return None
