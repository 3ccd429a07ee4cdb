"""The lesson model: plain, frozen data that every front end reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """Something the parser noticed about a lesson file."""

    path: str
    """The lesson file, as the user named it."""
    line: int
    """1-based line in the file."""
    severity: Severity
    """`error` stops the lesson from running; `warning` is advice."""
    message: str
    """What is wrong, in one sentence."""
    hint: str | None = None
    """What to do about it."""

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


@dataclass(frozen=True)
class Answer:
    """A reply `lab` types when a step's command waits for input."""

    text: str
    """What is typed (followed by Enter)."""
    secret: bool = False
    """A password: never shown in output, reports or logs."""


@dataclass(frozen=True)
class Capture:
    """A value taken from a step's output by a regular expression."""

    name: str
    """Variable name; later steps and checks read it as `$NAME`."""
    pattern: str
    """Python regular expression; the first group (or the whole match) is the value."""


@dataclass(frozen=True)
class Check:
    """A shell snippet that must exit 0 to prove a step's outcome."""

    code: str
    """The shell code, run with `bash -e`."""
    line: int
    """Line of the opening fence."""
    terminal: int | None = None
    """Run inside this terminal's shell; None runs it in a separate shell."""
    name: str | None = None
    """Short label shown in reports (defaults to the first line of code)."""
    timeout: float | None = None
    """Seconds before the check is stopped and fails (None: the lesson default)."""
    origin: str | None = None
    """The overlay file that added this check (None: the lesson); `line` is a line of it."""

    @property
    def label(self) -> str:
        """The name, or the first non-empty line of the code."""
        if self.name:
            return self.name
        for text in self.code.splitlines():
            if text.strip():
                return text.strip()
        return "check"


@dataclass(frozen=True)
class ExpectedOutput:
    """A plain fence after a step: what the author saw when running it."""

    text: str
    """The fence's content."""
    line: int
    """Line of the opening fence."""


@dataclass(frozen=True)
class Step:
    """A runnable fence (info string `.termN`): commands sent to terminal N."""

    index: int
    """0-based position among the lesson's steps."""
    terminal: int
    """Terminal number, 1..6."""
    command: str
    """The fence's exact text, sent line by line."""
    line: int
    """Line of the opening fence."""
    section: tuple[str, ...] = ()
    """Heading path the step belongs to, outermost first."""
    name: str | None = None
    """Author-given identifier (`name=...`)."""
    timeout: float | None = None
    """Seconds before the step is interrupted (None: the lesson default)."""
    expect_exit: int | None = 0
    """Exit status the step must end with; None accepts any."""
    answers: tuple[Answer, ...] = ()
    """Replies for interactive prompts, in order."""
    background: bool = False
    """Start the command and do not wait for it; it is stopped at the end of the run."""
    captures: tuple[Capture, ...] = ()
    """Values taken from the output for later steps and checks."""
    infer: bool = True
    """Whether `lab` may add checks inferred from what the step ran."""
    expected_output: ExpectedOutput | None = None
    """The author's transcript of the output, if one follows the step."""
    checks: tuple[Check, ...] = ()
    """Written checks that verify this step's outcome."""
    hints: tuple[str, ...] = ()
    """Hints shown on request when a learner is stuck on this step."""
    origin: str | None = None
    """The overlay file that added this step (None: the lesson); `line` is a line of it."""
    changed_by: str | None = None
    """The overlay file that changed this lesson step (its command, options or checks)."""

    @property
    def location(self) -> str:
        """`line 12`, or `LESSON.lab.yml:7` for a step an overlay added."""
        if self.origin:
            return f"{self.origin.rsplit('/', 1)[-1]}:{self.line}"
        return f"line {self.line}"

    @property
    def label(self) -> str:
        """The name, or the first command line, for reports."""
        if self.name:
            return self.name
        first = next((t.strip() for t in self.command.splitlines() if t.strip()), "")
        return first or f"step {self.index + 1}"


@dataclass(frozen=True)
class DisplayBlock:
    """A fence shown to the reader and never run."""

    info: str
    """The fence's info string (may be empty)."""
    code: str
    """Its content."""
    line: int
    """Line of the opening fence."""


@dataclass(frozen=True)
class QuizChoice:
    """One answer of a quiz."""

    text: str
    """The choice as written, without its marker."""
    correct: bool
    """Marked `[x]` or `(x)`."""


@dataclass(frozen=True)
class Quiz:
    """A question (`{:.quiz}`) with choices, or open-ended."""

    question: str
    """The question text."""
    line: int
    """Line of the `{:.quiz}` marker."""
    kind: Literal["single", "multiple", "open"]
    """`( )` items: one answer; `[ ]` items: any number; a blockquote: open-ended."""
    choices: tuple[QuizChoice, ...] = ()
    """The choices, in order (empty when open-ended)."""
    explanation: str = ""
    """For an open-ended quiz: the blockquote that follows (a model answer)."""
    section: tuple[str, ...] = ()
    """Heading path the quiz belongs to."""


@dataclass(frozen=True)
class AppLink:
    """A link to an app served on a terminal's machine: `{:data-term=".termN"}{:data-port="P"}`."""

    text: str
    """The link text."""
    terminal: int
    """Terminal whose machine serves the app."""
    port: int
    """TCP port of the app."""
    line: int
    """Line of the link."""
    href: str = "/"
    """The link's target: its path on the app (PWD links write `/`)."""


@dataclass(frozen=True)
class Heading:
    """A section heading."""

    level: int
    """1 for `#`, 2 for `##`, ..."""
    title: str
    """Plain text of the heading."""
    line: int
    """Line of the heading."""


@dataclass(frozen=True)
class LabSettings:
    """The front matter's optional `lab:` mapping: our own lesson-level settings."""

    timeout: float | None = None
    """Default step timeout in seconds."""
    estimate: int | None = None
    """Time the lesson takes a learner, in minutes."""
    infer: bool = True
    """Whether inferred checks are added to steps."""
    sandbox: bool = False
    """Run each terminal in its own throw-away Docker host by default."""
    strict_output: bool = False
    """Treat drift from expected output as a failure."""
    order: int | None = None
    """Position of the lesson in its course."""


@dataclass(frozen=True)
class FrontMatter:
    """The YAML front matter: the Play with Docker / Jekyll keys plus `lab:`."""

    title: str | None = None
    """Lesson title."""
    layout: str | None = None
    """Jekyll layout (kept, unused)."""
    date: str | None = None
    """Publication date as written."""
    author: str | None = None
    """Author as written."""
    tags: tuple[str, ...] = ()
    """Tags."""
    categories: tuple[str, ...] = ()
    """Categories (a single string becomes one category)."""
    img: str | None = None
    """Card image."""
    image: str | None = None
    """Docker image the original training host used for its terminals."""
    terms: int = 1
    """Number of terminals the lesson uses; 0: a reading-only lesson (no terminal)."""
    lab: LabSettings = field(default_factory=LabSettings)
    """Our own settings."""


@dataclass(frozen=True)
class Lesson:
    """A parsed lesson file."""

    path: Path
    """Where it was read from."""
    source: str
    """The text, normalised (no BOM, LF line ends)."""
    front_matter: FrontMatter
    """Its front matter (defaults when there is none)."""
    steps: tuple[Step, ...]
    """Runnable steps in document order."""
    display_blocks: tuple[DisplayBlock, ...] = ()
    """Fences that are shown, never run."""
    quizzes: tuple[Quiz, ...] = ()
    """Quizzes in document order."""
    app_links: tuple[AppLink, ...] = ()
    """App links in document order."""
    headings: tuple[Heading, ...] = ()
    """Section headings in document order."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Warnings (and errors) found while parsing."""

    @property
    def title(self) -> str:
        """Front matter title, else the first heading, else the file name."""
        if self.front_matter.title:
            return self.front_matter.title
        if self.headings:
            return self.headings[0].title
        return self.path.stem

    @property
    def reading_only(self) -> bool:
        """Nothing to run: no steps (a `terms: 0` article, maybe with quizzes)."""
        return not self.steps
