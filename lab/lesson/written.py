"""Text a step writes into files or pipes into a command: here-documents, `echo … > FILE`,
`printf … | docker build -` (for reading the Dockerfiles and compose files a lesson writes)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][\w.-]*)\2")
_REDIRECT = re.compile(r"(?<![0-9&<>])(>>?)\s*(['\"]?)([^\s'\";|&<>]+)\2")
_TEE = re.compile(r"\btee\s+(-a\s+)?(['\"]?)([^\s'\";|&<>]+)\2")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r", "a": "", "0": ""}


@dataclass(frozen=True)
class Written:
    """Text a step writes: into a file, or into the standard input of a command."""

    text: str
    """What is written."""
    offset: int
    """Line of the writing command inside the step (0 = its first line)."""
    path: str | None = None
    """The file written, as the step names it (None: piped into a command)."""
    into: str = ""
    """The command that reads it when it is piped or fed as a here-document (else empty)."""
    append: bool = False
    """Added to the end of the file (`>>`, `tee -a`) rather than replacing it."""


def _escapes(text: str) -> str:
    """Backslash escapes as `printf` and `echo -e` read them."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


def _printf(args: list[str]) -> str:
    """What `printf FORMAT ARG...` prints (%s and %d take the arguments in turn)."""
    if not args:
        return ""
    rest = iter(args[1:])
    out = re.sub(
        r"%(%|[sdbq])",
        lambda m: "%" if m.group(1) == "%" else next(rest, ""),
        args[0],
    )
    return _escapes(out)


def _echo(args: list[str]) -> str:
    """What `echo [-n] [-e] WORD...` prints."""
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0]
        args = args[1:]
    text = " ".join(args)
    return (_escapes(text) if escapes else text) + ("\n" if newline else "")


def _pipeline(words: list[str]) -> list[list[str]]:
    """A line's words split into its commands (at | ; && ||), each with its redirections."""
    commands: list[list[str]] = [[]]
    for word in words:
        if word in ("|", ";", "&&", "||", "&"):
            commands.append([word])  # the separator starts the next command
        else:
            commands[-1].append(word)
    return commands


def _written_by(line: str, offset: int) -> list[Written]:
    """echo/printf output written into a file, or piped into the next command."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        words = list(lexer)
    except ValueError:
        return []
    found: list[Written] = []
    commands = _pipeline(words)
    for n, command in enumerate(commands):
        words = command[1:] if command and command[0] in ("|", ";", "&&", "||", "&") else command
        if not words or words[0] not in ("echo", "printf"):
            continue
        args: list[str] = []
        path: str | None = None
        append = False
        rest = words[1:]
        i = 0
        while i < len(rest):
            if rest[i] in (">", ">>", "<", ">&", "&>", "<<<"):
                if rest[i] in (">", ">>") and i + 1 < len(rest):
                    path, append = rest[i + 1], rest[i] == ">>"
                i += 2
                continue
            args.append(rest[i])
            i += 1
        text = _echo(args) if words[0] == "echo" else _printf(args)
        if path is not None:
            found.append(Written(text, offset, path=path, append=append))
        elif n + 1 < len(commands) and commands[n + 1][:1] == ["|"]:
            found.append(Written(text, offset, into=" ".join(commands[n + 1][1:])))
    return found


def written_files(block: str) -> list[Written]:
    """Everything a step's commands write into files or pipe into commands, in order:
    here-documents (`cat > F <<EOF`, `tee F <<EOF`, `CMD <<EOF`), `echo …`/`printf …` redirected
    into a file or piped into a command."""
    lines = block.split("\n")
    found: list[Written] = []
    i = 0
    while i < len(lines):
        start, text = i, lines[i]
        while text.endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text[:-1] + " " + lines[i]
        i += 1
        heredoc = _HEREDOC.search(text)
        if heredoc is None or "<<<" in text:
            found += _written_by(text, start)
            continue
        strip_tabs, delimiter = heredoc.group(1) == "-", heredoc.group(3)
        body: list[str] = []
        while i < len(lines):
            line = lines[i].lstrip("\t") if strip_tabs else lines[i]
            i += 1
            if line == delimiter:
                break
            body.append(line)
        content = "\n".join(body) + "\n"
        head = text[: heredoc.start()] + text[heredoc.end() :]
        redirect, tee = _REDIRECT.search(head), _TEE.search(head)
        if redirect:
            path, append = redirect.group(3), redirect.group(1) == ">>"
            found.append(Written(content, start, path=path, append=append))
        elif tee:
            found.append(Written(content, start, path=tee.group(3), append=bool(tee.group(1))))
        else:
            found.append(Written(content, start, into=head.strip()))
    return found
