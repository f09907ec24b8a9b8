"""`ktape serve`: the cluster as a Kubernetes-compatible HTTPS API for real kubectl.

    ktape serve --data DIR --listen 127.0.0.1:6443 --write-kubeconfig kubeconfig
    KUBECONFIG=kubeconfig kubectl get nodes

The server (engine/server/) turns each HTTP request into the same Request the CLI makes; this
module only parses flags, boots the data folder, prepares TLS and the kubeconfig, and runs the
aiohttp site until interrupted. `--listen HOST:0` picks a free port; the first line on stdout
names the address (`Serving on https://HOST:PORT`) so scripts and tests can read it.

With `--store etcd://...` several servers (each with its own --data: its cache, CA and tokens)
share one log: each follows the others' entries, and the controllers and the clock run in the
one holding the controller lease (engine/server/etcd_follow.py); the `--leader-elect-*` flags
are kube-controller-manager's.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import ssl
import sys

FOLLOW_TICK_S = 0.25  # on etcd: how soon an idle server sees other servers' entries (one range read)


def register(subs, common) -> None:
    p = subs.add_parser("serve", parents=[common], help="serve the cluster over HTTPS for kubectl",
                        description="Serve the Kubernetes API over HTTPS. Example: ktape serve --listen 127.0.0.1:6443 "
                                    "--write-kubeconfig ./kubeconfig && KUBECONFIG=./kubeconfig kubectl get nodes")
    p.add_argument("--listen", default="127.0.0.1:6443", metavar="HOST:PORT", help="address to listen on (port 0: any free port)")
    p.add_argument("--write-kubeconfig", metavar="FILE", help="write an admin kubeconfig (CA + admin client certificate)")
    p.add_argument("--clock", choices=("wall", "manual"), default="wall",
                   help="wall: the virtual clock follows the wall clock; manual: only `ktape advance` moves it")
    p.add_argument("--clock-rate", type=float, default=1.0, metavar="N",
                   help="with --clock wall: N virtual seconds per wall second from the start (default 1: the wall clock itself)")
    p.add_argument("--leader-elect-lease-duration", type=float, default=15.0, metavar="SECONDS",
                   help="with --store etcd://: how long the controller lease lasts without renewal (default 15)")
    p.add_argument("--leader-elect-renew-deadline", type=float, default=10.0, metavar="SECONDS",
                   help="with --store etcd://: the lease holder stops acting as leader when it could not renew for this long (default 10)")
    p.add_argument("--leader-elect-retry-period", type=float, default=2.0, metavar="SECONDS",
                   help="with --store etcd://: how often to renew or try to acquire the lease (default 2)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="HTTP worker processes (default 1: one process does everything; N > 1: this process keeps "
                        "the log and the engine, N processes serve HTTP and TLS; about one per core beyond the first)")
    p.add_argument("--worker-fds", help=argparse.SUPPRESS)  # an HTTP worker started by --workers: its two channels
    p.set_defaults(run=run_serve)


def _split(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        from log_tools.manifests import client_error

        raise client_error(f'--listen "{listen}": want HOST:PORT')
    return host.strip("[]") or "127.0.0.1", int(port)


def run_serve(ctx, args) -> int:
    host, port = _split(args.listen)
    if args.clock_rate <= 0:
        from log_tools.manifests import client_error

        raise client_error("--clock-rate must be positive")
    if args.workers < 1 or (args.workers > 1 and ctx.store_spec):
        from log_tools.manifests import client_error

        raise client_error("--workers must be 1 or more, and 1 with --store etcd:// (run one `ktape serve` per process there)")
    if args.worker_fds:  # an HTTP worker: reads the log, sends every request to the engine process
        from engine.api import Cluster

        ctx._cluster = Cluster.open_store(ctx.store_spec, ctx.data, actors=[])
        fds = [int(x) for x in args.worker_fds.split(",")]
        _run_loop(serve_worker(ctx._cluster, ctx.data, host, port, fds[0], fds[1]))
        return 0
    follower = None
    if ctx.store_spec:
        from engine.api import Cluster

        lease = args.leader_elect_lease_duration
        if not args.leader_elect_retry_period < args.leader_elect_renew_deadline < lease or lease != int(lease):
            from log_tools.manifests import client_error

            raise client_error("leader election needs --leader-elect-retry-period < --leader-elect-renew-deadline "
                               "< --leader-elect-lease-duration (whole seconds)")
        # No controllers until this server holds the lease, not even for the backlog at opening.
        ctx._cluster = Cluster.open_store(ctx.store_spec, ctx.data, actors=[])
    cluster = ctx.cluster()
    if ctx.store_spec:
        from engine.server.etcd_follow import EtcdFollower

        follower = EtcdFollower(cluster, ctx.store_spec, ttl=int(args.leader_elect_lease_duration),
                                renew_deadline=args.leader_elect_renew_deadline,
                                retry_period=args.leader_elect_retry_period)
    _run_loop(serve(cluster, ctx.data, host, port, clock=args.clock, kubeconfig_path=args.write_kubeconfig,
                      rate=args.clock_rate, follower=follower, workers=args.workers))
    return 0



def _run_loop(coro) -> None:
    """uvloop when installed (a dependency): its event loop and TLS transport take about a third
    less CPU per request than asyncio's, and the server is CPU-bound (bench/README.md)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
        return
    uvloop.run(coro)


async def serve(cluster, data: str, host: str, port: int, *, clock: str = "wall", kubeconfig_path: str | None = None,
                ready=None, stop: asyncio.Event | None = None, rate: float = 1.0, follower=None, workers: int = 1) -> None:
    from aiohttp import web

    from engine.server.tls import admin_token, kubeconfig, load_ca, write_kubeconfig
    from engine.server.worker import TICK_S, EngineWorker
    from log_tools.commands import serve_workers

    admin_token(data)
    worker = EngineWorker(cluster, clock=clock, rate=rate, follower=follower,
                          tick_s=FOLLOW_TICK_S if follower is not None else TICK_S)
    pool = serve_workers.Pool()
    runner = None
    if workers > 1:  # the HTTP side runs in worker processes; this one accepts and decides
        ca = load_ca(data)
        listener = serve_workers.listen(host, port)
        bound = listener.getsockname()[1]
    else:
        ca, ssl_ctx, server, runner = await _http_app(cluster, data, worker, host, port)
        site = web.TCPSite(runner, host, port, ssl_context=ssl_ctx, backlog=1024)
        await site.start()
        bound = port
        for s in runner.addresses:
            if isinstance(s, tuple):
                bound = s[1]
                break
        server.server_address = f"{host}:{bound}"
    url = f"https://{host if ':' not in host else '[' + host + ']'}:{bound}"
    if kubeconfig_path:
        write_kubeconfig(kubeconfig_path, kubeconfig(ca, url))
    worker.start()
    tasks = []
    if workers > 1:
        from engine.server.remote import serve_link

        pool.spawn(workers, data, f"{host}:{bound}")
        for link in pool.links:
            reader, writer = await asyncio.open_unix_connection(sock=link)
            tasks.append(asyncio.ensure_future(serve_link(reader, writer, worker.submit)))
        await pool.ready()
        tasks.append(asyncio.ensure_future(pool.accept(listener)))
    if follower is not None:
        follower.start()
    print(f"Serving on {url}", flush=True)
    if ready is not None:
        ready(url)
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        pool.stop()
        if runner is not None:
            await runner.cleanup()
        worker.stop()
        if follower is not None:
            follower.stop()  # releases the controller lease: another server takes over at once
        print(f"ktape serve: stopped ({worker.requests} requests in {worker.groups} commits)", file=sys.stderr, flush=True)


async def serve_worker(cluster, data: str, host: str, port: int, conns_fd: int, link_fd: int) -> None:
    """One HTTP worker of `--workers N`: TLS, HTTP and JSON here, decisions in the engine process."""
    import socket

    from engine.server.remote import EngineLink
    from log_tools.commands import serve_workers

    stop = asyncio.Event()
    reader, writer = await asyncio.open_unix_connection(sock=socket.socket(fileno=link_fd))
    link = EngineLink(cluster, reader, writer, on_lost=stop.set)
    _ca, ssl_ctx, _server, runner = await _http_app(cluster, data, link, host, port)
    loop = asyncio.get_running_loop()

    def serve_here(sock) -> None:
        async def attach() -> None:
            try:
                await loop.connect_accepted_socket(runner.server, sock, ssl=ssl_ctx)
            except (OSError, ssl.SSLError, asyncio.TimeoutError):
                sock.close()

        loop.create_task(attach())

    serve_workers.receive(conns_fd, serve_here)
    link.start()
    print(f"Serving on https://{host}:{port}", flush=True)
    _stop_on_signals(stop)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        link.stop()
        print(f"ktape serve: worker stopped ({link.requests} requests)", file=sys.stderr, flush=True)


async def _http_app(cluster, data: str, worker, host: str, port: int):
    """The aiohttp app over `worker` (the engine thread, or the link to the engine process):
    the CA, the TLS context, the Server and its started runner."""
    from aiohttp import web

    from engine.server.app import Server
    from engine.server.authn import Authenticator
    from engine.server.tls import load_ca, pki_dir, server_context

    ca = load_ca(data)
    ssl_ctx = server_context(ca, host)
    with cluster.view() as v:
        modes = ((v.cluster().get("spec") or {}).get("authorization") or {}).get("modes") or ["AlwaysAllow"]
    authn = Authenticator(ca, pki_dir(data) / "tokens.csv", anonymous="AlwaysAllow" not in modes, cluster=cluster)
    server = Server(worker, authn, server_address=f"{host}:{port}")
    runner = web.AppRunner(server.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    return ca, ssl_ctx, server, runner


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
