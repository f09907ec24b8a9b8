"""What a simulated container does, declared and deterministic: how long it runs and how it exits.

Nothing is executed. The container's argv (`command` + `args`; `args` alone when the image's
entrypoint passes them through, as busybox's, alpine's and nginx's do) is read with this grammar:

    argv     := SHELL ("-c" | "-ec" | "-xc") BODY  |  STEP-WORDS
    SHELL    := sh | bash | ash | dash   (optionally with a /bin/ or /usr/bin/ path)
    BODY     := STEP (SEP STEP)*          SEP := ";" | "&&" | "||" | newline
    STEP     := QUICK word*               exits 0 at once
              | true | ":"                exits 0 at once
              | false                     exits 1 at once
              | sleep N[s|m|h|d]...       lasts the sum of its operands, then exits 0
              | exit [N]                  ends the body with N (default: the last status), mod 256
    QUICK    := echo | printf | date | env | printenv | hostname | pwd | ls | cat | uname | whoami | id

`&&` skips the next step after a failure, `||` after a success, as sh does; the body's exit code is
its last executed step's. A body or argv holding anything else (a server's entrypoint, `while`,
pipes, `sleep infinity`, `tail -f`) runs until it is stopped. With neither command nor args the
image's own default runs: the shell images (busybox, alpine, ubuntu, debian, centos, fedora)
exit 0 at once unless `stdin: true` keeps the shell open; any other image serves forever.

The startup delay (image pulls are instant; a private registry can refuse them, see `images`) is declared with the pod annotation
`sim.kubetape.io/startup-delay` (a duration, default 1s), or per container with
`sim.kubetape.io/startup-delay.<container>`.
"""

from __future__ import annotations

import re
import shlex

import attrs

from engine.clock import parse_duration

SECOND = 1_000_000
DEFAULT_STARTUP_DELAY = SECOND
STARTUP_DELAY = "sim.kubetape.io/startup-delay"

SHELLS = frozenset({"sh", "bash", "ash", "dash"})
QUICK = frozenset({"echo", "printf", "date", "env", "printenv", "hostname", "pwd", "ls", "cat", "uname", "whoami", "id"})
SHELL_IMAGES = frozenset({"busybox", "alpine", "ubuntu", "debian", "centos", "fedora"})
_SLEEP = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNIT = {"": SECOND, "s": SECOND, "m": 60 * SECOND, "h": 3600 * SECOND, "d": 86400 * SECOND}


@attrs.frozen
class Behaviour:
    """`runs_for` microseconds then exits with `exit_code`; `runs_for` None: runs until stopped."""

    runs_for: int | None
    exit_code: int = 0

    @property
    def finishes(self) -> bool:
        return self.runs_for is not None


FOREVER = Behaviour(None)


def _program(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _sleep_us(operands: list[str]) -> int | None:
    total = 0
    if not operands:
        return None
    for op in operands:
        m = _SLEEP.match(op)
        if m is None:
            return None
        total += int(float(m.group(1)) * _UNIT[m.group(2)])
    return total


def _step(words: list[str]) -> tuple[int, int] | None:
    """(duration us, exit status) of one simple command, or None when it does not finish (or is
    outside the grammar)."""
    if not words:
        return 0, 0
    prog = _program(words[0])
    if prog in QUICK or prog in ("true", ":"):
        return 0, 0
    if prog == "false":
        return 0, 1
    if prog == "sleep":
        us = _sleep_us(words[1:])
        return None if us is None else (us, 0)
    return None


def _tokens(body: str) -> list[str] | None:
    lex = shlex.shlex(body.replace("\n", ";"), posix=True, punctuation_chars=";&|")
    lex.whitespace_split = True
    try:
        return list(lex)
    except ValueError:
        return None


def shell_body(body: str) -> Behaviour:
    tokens = _tokens(body)
    if tokens is None:
        return FOREVER
    # Split into (operator-before, words) steps.
    steps: list[tuple[str, list[str]]] = []
    op, words = ";", []
    for t in tokens:
        if t in (";", "&&", "||"):
            steps.append((op, words))
            op, words = t, []
        elif set(t) <= set(";&|"):
            return FOREVER  # pipes, background jobs, odd operators
        else:
            words.append(t)
    steps.append((op, words))
    elapsed, status = 0, 0
    for op, words in steps:
        if not words:
            continue
        if (op == "&&" and status != 0) or (op == "||" and status == 0):
            continue
        if _program(words[0]) == "exit":
            if len(words) > 1:
                try:
                    status = int(words[1]) % 256
                except ValueError:
                    status = 2
            return Behaviour(elapsed, status)
        result = _step(words)
        if result is None:
            return FOREVER
        elapsed += result[0]
        status = result[1]
    return Behaviour(elapsed, status)


def image_name(image: str) -> str:
    """The last path component of an image reference without tag or digest (`busybox`)."""
    base = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return base.split(":", 1)[0]


def behaviour_of(container: dict) -> Behaviour:
    """What the container does, from its command, args, image and stdin."""
    command = list(container.get("command") or [])
    args = list(container.get("args") or [])
    argv = command + args if command else args
    if not argv:
        if image_name(container.get("image") or "") in SHELL_IMAGES and not container.get("stdin"):
            return Behaviour(0, 0)
        return FOREVER
    if _program(argv[0]) in SHELLS and len(argv) >= 3 and argv[1] in ("-c", "-ec", "-xc", "-ex"):
        return shell_body(argv[2])
    result = _step(argv)
    if result is None:
        return FOREVER
    return Behaviour(result[0], result[1])


def startup_delay(pod: dict, container_name: str) -> int:
    """The declared startup delay of a container, in microseconds."""
    ann = (pod.get("metadata") or {}).get("annotations") or {}
    raw = ann.get(f"{STARTUP_DELAY}.{container_name}", ann.get(STARTUP_DELAY))
    if raw is None:
        return DEFAULT_STARTUP_DELAY
    try:
        return max(parse_duration(str(raw)), 0)
    except ValueError:
        return DEFAULT_STARTUP_DELAY
