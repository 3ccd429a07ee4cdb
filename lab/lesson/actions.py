"""What a step's commands do to Docker and to files, as plain data (read by lesson.commands)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Port:
    """A port published by `docker run -p`."""

    container_port: int
    host_port: int | None
    """None when Docker picks the host port."""
    host_ip: str | None = None
    protocol: str = "tcp"


@dataclass(frozen=True)
class DockerRun:
    """`docker run IMAGE`: what it starts."""

    image: str
    name: str | None
    detached: bool
    remove: bool
    ports: tuple[Port, ...] = ()
    bind_sources: tuple[str, ...] = ()
    """Host paths mounted with -v SRC:DST (as written)."""


@dataclass(frozen=True)
class DockerCreate:
    """`docker create IMAGE`: a container made from an image, not started."""

    image: str
    name: str | None = None


@dataclass(frozen=True)
class ServiceCreate:
    """`docker service create IMAGE`: a swarm service whose tasks run the image."""

    image: str
    name: str | None = None


@dataclass(frozen=True)
class DockerBuild:
    """`docker build [-t TAG]... [-f FILE] CONTEXT`: an image made from a Dockerfile."""

    tags: tuple[str, ...]
    """The images it names (`-t`)."""
    dockerfile: str | None
    """`-f FILE` as written (None: CONTEXT/Dockerfile; `-`: read from standard input)."""
    context: str
    """The build context as written (`-`: the Dockerfile itself comes on standard input)."""


@dataclass(frozen=True)
class ImageMade:
    """`docker commit CONTAINER REF` or `docker import FILE REF`: an image made here."""

    ref: str


@dataclass(frozen=True)
class ComposeUp:
    """`docker compose up|pull|run|create`, `docker-compose …` or `docker stack deploy`: images
    named in compose files."""

    files: tuple[str, ...]
    """The compose files named (`-f`, `-c`); none: the default names in the directory."""


@dataclass(frozen=True)
class DockerPull:
    """`docker pull REF`."""

    ref: str


@dataclass(frozen=True)
class DockerPush:
    """`docker push REF`."""

    ref: str


@dataclass(frozen=True)
class DockerTag:
    """`docker tag SOURCE TARGET`."""

    source: str
    target: str


@dataclass(frozen=True)
class DockerRmi:
    """`docker rmi REF...`."""

    refs: tuple[str, ...]


@dataclass(frozen=True)
class DockerRm:
    """`docker rm NAME...` (force: `-f`)."""

    names: tuple[str, ...]
    force: bool = False


@dataclass(frozen=True)
class DockerStop:
    """`docker kill` / `docker stop NAME...`."""

    names: tuple[str, ...]
    verb: str = "stop"


@dataclass(frozen=True)
class MakeDirs:
    """`mkdir [-p] DIR...`."""

    paths: tuple[str, ...]


@dataclass(frozen=True)
class ChangeDir:
    """`cd`, `pushd` or `popd`: relative paths after it mean something else."""


Action = (
    ChangeDir
    | DockerRun
    | DockerCreate
    | ServiceCreate
    | DockerBuild
    | ImageMade
    | ComposeUp
    | DockerPull
    | DockerPush
    | DockerTag
    | DockerRmi
    | DockerRm
    | DockerStop
    | MakeDirs
)


@dataclass(frozen=True)
class CommandFacts:
    """What a block of shell commands does, in order."""

    actions: tuple[Action, ...] = field(default_factory=tuple)
