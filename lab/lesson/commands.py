"""Reading what a step's shell commands do to Docker (run, pull, push, tag, rm, ...) and files."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from lab.ansi import plain
from lab.lesson.actions import (
    Action,
    ChangeDir,
    CommandFacts,
    ComposeUp,
    DockerBuild,
    DockerCreate,
    DockerPull,
    DockerPush,
    DockerRm,
    DockerRmi,
    DockerRun,
    DockerStop,
    DockerTag,
    ImageMade,
    MakeDirs,
    Port,
    ServiceCreate,
)

# `docker run` / `docker create` flags that take a value (the next word unless given as --x=v).
_RUN_VALUE_FLAGS = frozenset(
    """
    -a -c -e -h -l -m -p -u -v -w --add-host --annotation --attach --blkio-weight
    --blkio-weight-device --cap-add --cap-drop --cgroup-parent --cgroupns --cidfile --cpu-period
    --cpu-quota --cpu-rt-period --cpu-rt-runtime --cpu-shares --cpus --cpuset-cpus --cpuset-mems
    --device --device-cgroup-rule --device-read-bps --device-read-iops --device-write-bps
    --device-write-iops --dns --dns-option --dns-search --domainname --entrypoint --env
    --env-file --expose --gpus --group-add --health-cmd --health-interval --health-retries
    --health-start-period --health-timeout --hostname --ip --ip6 --ipc --isolation
    --kernel-memory --label --label-file --link --link-local-ip --log-driver --log-opt
    --mac-address --memory --memory-reservation --memory-swap --memory-swappiness --mount
    --name --network --net --network-alias --oom-score-adj --pid --pids-limit --platform
    --publish --pull --restart --runtime --security-opt --shm-size --stop-signal
    --stop-timeout --storage-opt --sysctl --tmpfs --ulimit --user --userns --uts --volume
    --volume-driver --volumes-from --workdir
    """.split()
)
_SHORT_VALUE = frozenset(f[1] for f in _RUN_VALUE_FLAGS if len(f) == 2)
# Other sub-commands: flags that take a value.
_OTHER_VALUE_FLAGS = frozenset(
    "--filter --format --platform -t --time -s --signal -m --mode".split()
)
# `docker service create` flags that take a value.
_SERVICE_VALUE_FLAGS = frozenset(
    """
    -e -l -p -u -w --config --constraint --container-label --credential-spec --dns
    --dns-option --dns-search --endpoint-mode --entrypoint --env --env-file --generic-resource
    --group --health-cmd --health-interval --health-retries --health-start-period
    --health-timeout --host --hostname --isolation --label --limit-cpu --limit-memory
    --limit-pids --log-driver --log-opt --max-concurrent --mode --mount --name --network
    --placement-pref --publish --replicas --replicas-max-per-node --reserve-cpu
    --reserve-memory --restart-condition --restart-delay --restart-max-attempts
    --restart-window --rollback-delay --rollback-failure-action --rollback-max-failure-ratio
    --rollback-monitor --rollback-order --rollback-parallelism --secret --stop-grace-period
    --stop-signal --sysctl --ulimit --update-delay --update-failure-action
    --update-max-failure-ratio --update-monitor --update-order --update-parallelism --user
    --workdir --cap-add --cap-drop
    """.split()
)
# `docker build` flags that take a value.
_BUILD_VALUE_FLAGS = frozenset(
    """
    -f -m -o -t --add-host --build-arg --build-context --cache-from --cache-to --cgroup-parent
    --cpu-period --cpu-quota --cpu-shares --cpuset-cpus --cpuset-mems --file --iidfile
    --isolation --label --memory --memory-swap --metadata-file --network --output --platform
    --progress --secret --security-opt --shm-size --ssh --tag --target --ulimit --builder
    """.split()
)
# `docker compose` / `docker-compose` global flags that take a value.
_COMPOSE_VALUE_FLAGS = frozenset(
    "-f -p --file --project-name --project-directory --env-file --profile --ansi".split()
)
# `docker commit` / `docker import` flags that take a value.
_MADE_VALUE_FLAGS = frozenset("-a -c -m --author --change --message --platform".split())
_COMPOSE_VERBS = frozenset({"up", "pull", "run", "create"})
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_PUSH_DIGEST = re.compile(
    r"^(?P<tag>[\w][\w.-]{0,127}): digest: (?P<digest>sha256:[0-9a-f]{64})", re.M
)
_PULL_DIGEST = re.compile(r"^Digest: (?P<digest>sha256:[0-9a-f]{64})", re.M)
_CONTAINER_ID = re.compile(r"^[0-9a-f]{64}$", re.M)


def _segments(block: str) -> Iterator[list[str]]:
    """Simple commands of a block: lines joined at `\\`, split at ; && || | and newlines."""
    text = re.sub(r"\\\n", " ", block)
    for line in text.split("\n"):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            words = list(lexer)
        except ValueError:
            continue  # unbalanced quotes (a here-doc body, say): nothing to read
        current: list[str] = []
        for word in words:
            if word and set(word) <= set(";&|"):
                if current:
                    yield current
                current = []
            else:
                current.append(word)
        if current:
            yield current


def _strip_prefix(words: list[str]) -> list[str]:
    """Drop `sudo`, `time`, `env X=Y` and leading variable assignments."""
    while words and (
        words[0] in ("sudo", "time", "command", "env", "exec")
        or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0])
    ):
        words = words[1:]
    return words


def _parse_port(spec: str) -> Port | None:
    proto = "tcp"
    if "/" in spec:
        spec, proto = spec.rsplit("/", 1)
    parts = spec.rsplit(":", 2) if spec.count(":") <= 2 else [spec]
    try:
        if len(parts) == 1:
            return Port(int(parts[0]), None, None, proto)
        if len(parts) == 2:
            return Port(int(parts[1]), int(parts[0]) if parts[0] else None, None, proto)
        return Port(int(parts[2]), int(parts[1]) if parts[1] else None, parts[0] or None, proto)
    except ValueError:
        return None  # a range (8000-8010:80) or a variable: not inferred


def _run(args: list[str]) -> DockerRun | None:
    name = None
    detached = remove = False
    ports: list[Port] = []
    binds: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        value: str | None = None
        if word.startswith("--"):
            flag, eq, inline = word.partition("=")
            if eq:
                value = inline
            elif flag in _RUN_VALUE_FLAGS:
                i += 1
                value = args[i] if i < len(args) else ""
            if flag in ("--detach", "-d"):
                detached = True
            elif flag == "--rm":
                remove = True
        else:
            cluster = word[1:]
            for k, char in enumerate(cluster):
                if char == "d":
                    detached = True
                if char in _SHORT_VALUE:
                    rest = cluster[k + 1 :]
                    if rest:
                        value = rest.lstrip("=")
                    else:
                        i += 1
                        value = args[i] if i < len(args) else ""
                    flag = "-" + char
                    break
            else:
                flag = word
        if value is not None:
            if flag == "--name":
                name = value
            elif flag in ("-p", "--publish"):
                port = _parse_port(value)
                if port:
                    ports.append(port)
            elif (
                flag in ("-v", "--volume")
                and ":" in value
                and value.startswith(("/", ".", "$", "~"))
            ):
                binds.append(value.split(":", 1)[0])
        i += 1
    if i >= len(args):
        return None
    return DockerRun(args[i], name, detached, remove, tuple(ports), tuple(binds))


def _operands(args: list[str]) -> tuple[list[str], set[str]]:
    """Non-flag words and the flags seen (values of known value-taking flags skipped)."""
    operands: list[str] = []
    flags: set[str] = set()
    i = 0
    while i < len(args):
        word = args[i]
        if word.startswith("-") and word != "-":
            flag = word.split("=", 1)[0]
            flags.add(flag)
            if flag in _OTHER_VALUE_FLAGS and "=" not in word:
                i += 1
        else:
            operands.append(word)
        i += 1
    return operands, flags


_ALIASES = {
    ("container", "run"): "run",
    ("container", "create"): "create",
    ("container", "rm"): "rm",
    ("container", "kill"): "kill",
    ("container", "stop"): "stop",
    ("image", "pull"): "pull",
    ("image", "push"): "push",
    ("image", "tag"): "tag",
    ("image", "rm"): "rmi",
    ("image", "build"): "build",
    ("image", "import"): "import",
    ("container", "commit"): "commit",
    ("buildx", "build"): "build",
    ("builder", "build"): "build",
}


def _values(args: list[str], value_flags: frozenset[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Operands and flag values of a command (flags listed in value_flags take the next word
    unless given as --flag=value or -fvalue); operands stop at the first non-flag word after
    which nothing is read (the caller decides)."""
    operands: list[str] = []
    values: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            operands += args[i + 1 :]
            break
        if word.startswith("-") and word != "-":
            flag, eq, inline = word.partition("=")
            if not eq and not flag.startswith("--") and len(flag) > 2 and flag[:2] in value_flags:
                flag, inline, eq = flag[:2], flag[2:], "="
            if eq:
                values.setdefault(flag, []).append(inline)
            elif flag in value_flags:
                i += 1
                values.setdefault(flag, []).append(args[i] if i < len(args) else "")
        else:
            operands.append(word)
        i += 1
    return operands, values


def _first_operand(args: list[str], value_flags: frozenset[str]) -> tuple[str | None, str | None]:
    """The first non-flag word (the image of `service create`) and the --name given before it."""
    i = 0
    name = None
    while i < len(args):
        word = args[i]
        if word == "--":
            return (args[i + 1] if i + 1 < len(args) else None), name
        if not word.startswith("-") or word == "-":
            return word, name
        flag, eq, inline = word.partition("=")
        value = inline if eq else None
        if not eq and flag in value_flags:
            i += 1
            value = args[i] if i < len(args) else ""
        if flag == "--name":
            name = value
        i += 1
    return None, name


def _build(args: list[str]) -> DockerBuild | None:
    operands, values = _values(args, _BUILD_VALUE_FLAGS)
    if len(operands) != 1:
        return None
    tags = tuple(values.get("-t", []) + values.get("--tag", []))
    files = values.get("-f", []) + values.get("--file", [])
    return DockerBuild(tags, files[-1] if files else None, operands[0])


def _compose(args: list[str]) -> ComposeUp | None:
    """`compose [-f F]... VERB ...` (the words after `docker compose` or `docker-compose`)."""
    files: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        flag, eq, inline = word.partition("=")
        if flag in ("-f", "--file"):
            if eq:
                files.append(inline)
            else:
                i += 1
                files.append(args[i] if i < len(args) else "")
        elif word.startswith("-") and flag in _COMPOSE_VALUE_FLAGS and not eq:
            i += 1
        elif not word.startswith("-"):
            return ComposeUp(tuple(files)) if word in _COMPOSE_VERBS else None
        i += 1
    return None


def _docker(args: list[str]) -> Action | None:
    # skip global flags such as -H host / --context x
    while args and args[0].startswith("-"):
        takes = args[0] in ("-H", "--host", "-c", "--context", "--config", "-l", "--log-level")
        args = args[2:] if takes and "=" not in args[0] else args[1:]
    if not args:
        return None
    verb, rest = args[0], args[1:]
    if rest and (verb, rest[0]) in _ALIASES:
        verb, rest = _ALIASES[(verb, rest[0])], rest[1:]
    if verb == "run":
        return _run(rest)
    if verb == "create":
        created = _run(rest)
        return DockerCreate(created.image, created.name) if created else None
    if verb == "service" and rest[:1] == ["create"]:
        image, name = _first_operand(rest[1:], _SERVICE_VALUE_FLAGS)
        return ServiceCreate(image, name) if image else None
    if verb == "build":
        return _build(rest)
    if verb == "compose":
        return _compose(rest)
    if verb == "stack" and rest[:1] == ["deploy"]:
        _, values = _values(rest[1:], frozenset({"-c", "--compose-file"}))
        return ComposeUp(tuple(values.get("-c", []) + values.get("--compose-file", [])))
    if verb in ("commit", "import"):
        words, _ = _values(rest, _MADE_VALUE_FLAGS)
        return ImageMade(words[1]) if len(words) == 2 else None
    operands, flags = _operands(rest)
    if verb == "pull" and len(operands) == 1:
        return DockerPull(operands[0])
    if verb == "push" and len(operands) == 1 and not flags & {"-a", "--all-tags"}:
        return DockerPush(operands[0])
    if verb == "tag" and len(operands) == 2:
        return DockerTag(operands[0], operands[1])
    if verb == "rmi" and operands:
        return DockerRmi(tuple(operands))
    if verb == "rm" and operands:
        return DockerRm(tuple(operands), force=bool(flags & {"-f", "--force"}))
    if verb in ("kill", "stop") and operands:
        return DockerStop(tuple(operands), verb)
    return None


def read_commands(block: str) -> CommandFacts:
    """Everything a block does that `lab` knows how to verify, in order."""
    actions: list[Action] = []
    for words in _segments(block):
        words = _strip_prefix(words)
        if not words:
            continue
        if words[0] == "docker":
            action = _docker(words[1:])
            if action is not None:
                actions.append(action)
        elif words[0] == "docker-compose":
            action = _compose(words[1:])
            if action is not None:
                actions.append(action)
        elif words[0] in ("cd", "pushd", "popd"):
            actions.append(ChangeDir())
        elif words[0] == "mkdir":
            paths = tuple(w for w in words[1:] if not w.startswith("-"))
            if paths:
                actions.append(MakeDirs(paths))
    return CommandFacts(tuple(actions))


def with_tag(ref: str) -> str:
    """An image reference with its tag spelled out (`latest` when it names none)."""
    if "@" in ref:
        return ref
    return ref if ":" in ref.rsplit("/", 1)[-1] else f"{ref}:latest"


def push_digests(output: str) -> list[tuple[str, str]]:
    """`TAG: digest: sha256:... size: N` lines of `docker push` output, in order."""
    return [(m.group("tag"), m.group("digest")) for m in _PUSH_DIGEST.finditer(plain(output))]


def pull_digests(output: str) -> list[str]:
    """The `Digest: sha256:...` lines of `docker pull` output, in order."""
    return [m.group("digest") for m in _PULL_DIGEST.finditer(plain(output))]


def pull_digest(output: str) -> str | None:
    """The first `Digest: sha256:...` line of `docker pull` output."""
    match = _PULL_DIGEST.search(plain(output))
    return match.group("digest") if match else None


def container_id(output: str) -> str | None:
    """The full container ID `docker run -d` prints."""
    match = _CONTAINER_ID.search(plain(output))
    return match.group(0) if match else None
