"""A small deterministic command simulator: what a container prints for `ktape exec` and `ktape logs`.

Nothing is executed. A command runs against the container's environment (`configsrc.Env` plus
the runtime's PATH, HOSTNAME and HOME) and its files (the projected ConfigMap/Secret volumes), with
the grammar of `behaviour` (`sh -c BODY`, steps joined by `;`, `&&`, `||`) and these programs:

    echo [-n] ARGS      env | printenv [NAME...]   cat FILE...      ls [-1a] [PATH...]
    hostname            pwd                        true | false | : sleep N   exit [N]

Inside `sh -c` bodies `$NAME` and `${NAME}` expand from the environment (not inside single
quotes), as the shell does; the kubelet's own `$(NAME)` expansion has already happened on the
argv (`configsrc.command_line`). Anything else prints `sh: PROG: not found` and exits 127; a
body outside the grammar (pipes, loops) prints nothing. Error messages follow GNU coreutils.
"""

from __future__ import annotations

import re
import shlex
from typing import Callable

import attrs

from engine.kubelet_sim.configsrc import File

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHELLS = frozenset({"sh", "bash", "ash", "dash"})
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@attrs.frozen
class Result:
    stdout: str = ""
    stderr: str = ""
    code: int = 0


def process_env(hostname: str, declared: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The process environment in the order `env` prints it (runtime variables, then the pod's)."""
    out = [("PATH", PATH), ("HOSTNAME", hostname)]
    names = {k for k, _ in declared}
    out = [(k, v) for k, v in out if k not in names]
    return out + list(declared) + ([("HOME", "/root")] if "HOME" not in names else [])


def _expand_shell(body: str, env: dict[str, str]) -> str:
    """`$X` / `${X}` outside single quotes."""
    out, i, quoted = [], 0, False
    while i < len(body):
        c = body[i]
        if c == "'":
            quoted = not quoted
            out.append(c)
            i += 1
            continue
        if c == "$" and not quoted:
            m = _VAR.match(body, i)
            if m:
                out.append(env.get(m.group(1) or m.group(2), ""))
                i = m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _prog(word: str) -> str:
    return word.rsplit("/", 1)[-1]


class Machine:
    def __init__(self, env: list[tuple[str, str]], files: dict[str, File], hostname: str):
        self.env = env
        self.envd = dict(env)
        self.files = files
        self.hostname = hostname

    # --- the filesystem --------------------------------------------------------------------------

    def _is_dir(self, path: str) -> bool:
        path = path.rstrip("/") or "/"
        prefix = "/" if path == "/" else path + "/"
        return any(p.startswith(prefix) for p in self.files)

    def _children(self, path: str) -> list[str]:
        path = path.rstrip("/") or "/"
        prefix = "/" if path == "/" else path + "/"
        return sorted({p[len(prefix):].split("/", 1)[0] for p in self.files if p.startswith(prefix)})

    # --- programs --------------------------------------------------------------------------------

    def step(self, words: list[str]) -> Result:
        prog, args = _prog(words[0]), words[1:]
        if prog == "echo":
            newline = True
            if args and args[0] == "-n":
                newline, args = False, args[1:]
            return Result(" ".join(args) + ("\n" if newline else ""))
        if prog in ("env", "printenv"):
            if prog == "printenv" and args:
                vals = [self.envd[a] for a in args if a in self.envd]
                return Result("".join(v + "\n" for v in vals), "", 0 if len(vals) == len(args) else 1)
            return Result("".join(f"{k}={v}\n" for k, v in self.env))
        if prog == "cat":
            out, err, code = [], [], 0
            for a in args:
                f = self.files.get(a)
                if f is not None:
                    out.append(f.content.decode("utf-8", errors="replace"))
                elif self._is_dir(a):
                    err.append(f"cat: {a}: Is a directory\n")
                    code = 1
                else:
                    err.append(f"cat: {a}: No such file or directory\n")
                    code = 1
            return Result("".join(out), "".join(err), code)
        if prog == "ls":
            flags = [a for a in args if a.startswith("-")]
            paths = [a for a in args if not a.startswith("-")] or ["/"]
            show_all = any("a" in f for f in flags)
            out, err, code = [], [], 0
            for i, p in enumerate(paths):
                if p in self.files:
                    out.append(p + "\n")
                    continue
                if not self._is_dir(p):
                    err.append(f"ls: cannot access '{p}': No such file or directory\n")
                    code = 2
                    continue
                if len(paths) > 1:
                    out.append(("\n" if i else "") + f"{p}:\n")
                names = ([".", ".."] if show_all else []) + self._children(p)
                out.extend(n + "\n" for n in names)
            return Result("".join(out), "".join(err), code)
        if prog == "hostname":
            return Result(self.hostname + "\n")
        if prog == "pwd":
            return Result("/\n")
        if prog in ("true", ":", "sleep"):
            return Result()
        if prog == "false":
            return Result(code=1)
        return Result("", f"sh: {prog}: not found\n", 127)

    # --- commands --------------------------------------------------------------------------------

    def run(self, argv: list[str]) -> Result:
        if not argv:
            return Result()
        if _prog(argv[0]) in SHELLS and len(argv) >= 3 and argv[1] in ("-c", "-ec", "-xc", "-ex"):
            return self.body(argv[2])
        return self.step(list(argv))

    def exec(self, argv: list[str], stdin: Callable[[], str] | None = None) -> Result:
        """`kubectl exec [-i] POD -- argv`: a bare shell with stdin attached runs stdin's text as
        its script; anything else runs as `run` does (stdin is only read for that shell)."""
        if stdin is not None and len(argv) == 1 and _prog(argv[0]) in SHELLS:
            return self.body(stdin())
        return self.run(argv)

    def body(self, text: str) -> Result:
        lex = shlex.shlex(_expand_shell(text, self.envd).replace("\n", ";"), posix=True, punctuation_chars=";&|")
        lex.whitespace_split = True
        try:
            tokens = list(lex)
        except ValueError:
            return Result()
        steps: list[tuple[str, list[str]]] = []
        op, words = ";", []
        for t in tokens:
            if t in (";", "&&", "||"):
                steps.append((op, words))
                op, words = t, []
            elif set(t) <= set(";&|"):
                return Result()  # pipes and background jobs: outside the grammar
            else:
                words.append(t)
        steps.append((op, words))
        out, err, status = [], [], 0
        for op, words in steps:
            if not words or (op == "&&" and status != 0) or (op == "||" and status == 0):
                continue
            if _prog(words[0]) == "exit":
                try:
                    status = int(words[1]) % 256 if len(words) > 1 else status
                except ValueError:
                    status = 2
                break
            r = self.step(words)
            out.append(r.stdout)
            err.append(r.stderr)
            status = r.code
        return Result("".join(out), "".join(err), status)
