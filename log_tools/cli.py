"""The `ktape` command: kubectl's verbs and flags, plus the log tools.

argparse (standard library) rather than click: kubectl lets global flags stand before or after
the verb (`ktape --data d get pods` and `ktape get pods --data d`), which argparse does with one
parent parser whose defaults are suppressed on the sub-commands.

Exit codes: 0 success; 1 an API or usage error (kubectl's); 2 bad command-line syntax;
3 `verify` found a problem (the first bad seq is printed).
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_VERIFY = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # kubectl-like one-line usage errors
        self.exit(EXIT_USAGE, f"error: {message}\nSee '{self.prog} --help' for usage.\n")


def _globals(suppress: bool) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    d = (lambda v: argparse.SUPPRESS) if suppress else (lambda v: v)
    p.add_argument("--data", default=d(None), help="data folder holding the log (default $KTAPE_DATA, else ./.ktape)")
    p.add_argument("--store", default=d(None), metavar="etcd://HOST:PORT[,HOST:PORT...][/prefix]",
                   help="keep the log on etcd instead of in --data, which then holds only a local cache (default $KTAPE_STORE)")
    p.add_argument("--as", dest="as_user", default=d(None), help="user to impersonate for the operation")
    p.add_argument("--as-group", dest="as_group", action="append", default=d(None), help="group to impersonate (repeatable)")
    p.add_argument("-n", "--namespace", default=d(None), help="namespace for this request")
    p.add_argument("-A", "--all-namespaces", action="store_true", default=d(False), help="across all namespaces")
    p.add_argument("--read-only", action="store_true", default=d(False), help="open the log read-only: record nothing")
    p.add_argument("--debug", action="store_true", default=d(False), help="show tracebacks")
    p.add_argument("--at", default=d(None), metavar="SEQ|TIME", help="read state as of a seq or an RFC 3339 time")
    return p


def build_parser() -> argparse.ArgumentParser:
    from log_tools.commands import (audit, autoscale, batchcmds, configcmds, execlogs, logtools, metadata, modify, network,
                                    objects, quotacmd, rollout, secrets, serve, setcmd, sim, tour)

    parser = _Parser(prog="ktape", parents=[_globals(False)],
                     description="kubetape: the Kubernetes control plane as an event-sourced log.",
                     epilog="Example: ktape apply -f fixtures/manifests/nginx-deploy.yaml && ktape get deploy")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = _globals(True)
    for module in (objects, batchcmds, quotacmd, configcmds, execlogs, metadata, modify, setcmd, rollout, sim, autoscale, network,
                   logtools, audit, secrets, serve, tour):
        module.register(subs, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    _configure_logging(args.debug)
    from engine.errors import StatusError
    from engine.log.kv import StoreError
    from log_tools.context import Ctx

    ctx = Ctx(args, argv)
    try:
        return int(args.run(ctx, args) or 0)
    except StatusError as e:
        if args.debug:
            raise
        sys.stdout.flush()
        print(e.kubectl_text(), file=sys.stderr)
        return EXIT_ERROR
    except StoreError as e:
        if args.debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()


def _configure_logging(debug: bool) -> None:
    """Debug request lines on --debug or KTAPE_LOG=debug; structlog loads only then."""
    from engine import logsetup

    logsetup.set_debug(debug)
    logsetup.ensure_configured()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
