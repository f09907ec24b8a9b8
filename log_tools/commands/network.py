"""Service networking commands: `expose` (kubectl's), `dns resolve` (CoreDNS), `curl` (through the
simulated kube-proxy) and `proxy rules` (what each proxy mode installs on a node)."""

from __future__ import annotations

import ipaddress
import json
import sys

from engine.errors import StatusError
from engine.registry import resolve
from log_tools.commands.objects import _dry, _print_result
from log_tools.manifests import client_error
from log_tools.printers.table import render


def register(subs, common) -> None:
    p = subs.add_parser(
        "expose", parents=[common], help="expose a deployment, rc, rs, pod or service as a new Service",
        description="Take a replication controller, service, deployment, replica set or pod and expose it as a new "
                    "Service, as kubectl expose does. Example: ktape expose deployment web --port=80 --target-port=8080")
    p.add_argument("resources", nargs="+", metavar="TYPE NAME | TYPE/NAME")
    p.add_argument("--port", help="the port that the service should serve on (default: the object's ports)")
    p.add_argument("--target-port", help="name or number of the port on the container the service should direct traffic to")
    p.add_argument("--name", help="the name for the newly created object")
    p.add_argument("--type", help="type for this service: ClusterIP, NodePort, LoadBalancer, or ExternalName")
    p.add_argument("--selector", help="a label selector to use for this service (only equality-based; default: the object's)")
    p.add_argument("--protocol", help="the network protocol for the service to be created (default TCP)")
    p.add_argument("--external-ip", help="additional external IP address (not managed by Kubernetes) to accept for the service")
    p.add_argument("--cluster-ip", help="ClusterIP to be assigned to the service; None for a headless service")
    p.add_argument("-l", "--labels", help="labels to apply to the service (default: the object's labels)")
    p.add_argument("--load-balancer-ip", help="IP to assign to the LoadBalancer")
    p.add_argument("--session-affinity", help="None (default) or ClientIP")
    p.add_argument("--dry-run", nargs="?", const="client", default="none", choices=["none", "client", "server"])
    p.add_argument("-o", "--output", choices=["json", "yaml", "name"])
    p.set_defaults(run=run_expose)

    dns = subs.add_parser("dns", parents=[common], help="query the cluster DNS (CoreDNS) as a pod would",
                          description="Cluster DNS. Example: ktape dns resolve myapp --from pod/client -t A")
    dns.set_defaults(run=lambda ctx, args: (dns.print_help(), 2)[1])
    acts = dns.add_subparsers(dest="dns_command", metavar="ACTION", parser_class=type(dns))
    r = acts.add_parser("resolve", parents=[common], help="resolve a name: A, SRV or CNAME records",
                        description="Resolve NAME as CoreDNS answers it, with the search path of the pod's namespace "
                                    "(or of -n). Example: ktape dns resolve _http._tcp.myapp.default.svc.cluster.local -t SRV")
    r.add_argument("name")
    r.add_argument("-t", "--type", default="A", type=str.upper, choices=["A", "SRV", "CNAME"], help="record type (default A)")
    r.add_argument("--from", dest="source", help="pod/NAME whose resolv.conf applies (search path, dnsPolicy)")
    r.add_argument("-o", "--output", choices=["json"])
    r.set_defaults(run=run_dns)

    c = subs.add_parser("curl", parents=[common], help="connect to a Service through the simulated kube-proxy",
                        description="Send N connections to SERVICE[:PORT] (a Service name, DNS name, ClusterIP, "
                                    "NODE-IP:NODEPORT or load-balancer IP) and report which pod (and image) answered. "
                                    "Each connection is a recorded services/proxy request. Example: ktape curl myapp -n 400")
    c.add_argument("target", metavar="SERVICE[:PORT]")
    c.add_argument("--from", dest="source", help="pod/NAME the connections come from (default: the node k8s-master)")
    c.add_argument("-c", "--count", dest="count", type=int, default=1, help="number of connections (default 1)")
    c.add_argument("--via-node", metavar="NODE", help="connect to NODE's address at the Service's NodePort instead")
    c.add_argument("-o", "--output", choices=["json"])
    c.set_defaults(run=run_curl)

    px = subs.add_parser("proxy", parents=[common], help="kube-proxy: the rules each mode installs",
                         description="kube-proxy. Example: ktape proxy rules --mode iptables")
    px.set_defaults(run=lambda ctx, args: (px.print_help(), 2)[1])
    pacts = px.add_subparsers(dest="proxy_command", metavar="ACTION", parser_class=type(px))
    pr = pacts.add_parser("rules", parents=[common], help="per-node rule counts for iptables or ipvs mode",
                          description="Rules per node as each proxy mode would install them for the cluster's Services "
                                      "(--what-if 2000x10: for 2000 Services of 10 endpoints). Example: ktape proxy rules --mode ipvs")
    pr.add_argument("--mode", choices=["iptables", "ipvs"], help="one mode (default: both)")
    pr.add_argument("--what-if", help="SERVICESxENDPOINTS: a hypothetical cluster instead of this one")
    pr.set_defaults(run=run_proxy_rules)


# --- expose ----------------------------------------------------------------------------------------

_EXPOSABLE = {"Pod", "Service", "ReplicationController", "Deployment", "ReplicaSet"}


def _target(args) -> tuple[str, str]:
    words = args.resources
    if len(words) == 1 and "/" in words[0]:
        return tuple(words[0].split("/", 1))  # type: ignore[return-value]
    if len(words) == 2:
        return words[0], words[1]
    raise client_error("You must provide the resource type and name to expose (e.g. deployment web)")


def _selector_of(obj: dict) -> dict:
    """kubectl's MapBasedSelectorForObject."""
    kind, spec = obj["kind"], obj.get("spec") or {}
    if kind == "Pod":
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if not labels:
            raise client_error("the pod has no labels and cannot be exposed")
        return dict(labels)
    if kind in ("Service", "ReplicationController"):
        sel = spec.get("selector") or {}
        if not sel:
            raise client_error(f"the {kind.lower()} has no selector and cannot be exposed" if kind == "Service"
                               else "the replication controller has no selector")
        return dict(sel)
    sel = spec.get("selector") or {}
    if sel.get("matchExpressions"):
        raise client_error(f'couldn\'t convert expressions - "{sel["matchExpressions"]}" to map-based selector format')
    return dict(sel.get("matchLabels") or {})


def _ports_of(obj: dict) -> list[tuple[str, str]]:
    """kubectl's PortsForObject and ProtocolsForObject: (port, protocol) in order."""
    kind, spec = obj["kind"], obj.get("spec") or {}
    if kind == "Service":
        return [(str(p.get("port")), p.get("protocol") or "TCP") for p in spec.get("ports") or ()]
    pod_spec = spec if kind == "Pod" else ((spec.get("template") or {}).get("spec") or {})
    out = []
    for c in pod_spec.get("containers") or ():
        for p in c.get("ports") or ():
            out.append((str(p.get("containerPort")), p.get("protocol") or "TCP"))
    return out


def _parse_selector(text: str) -> dict:
    sel = {}
    for part in text.split(","):
        k, eq, v = part.partition("=")
        if not eq or not k.strip():
            raise client_error(f"unexpected label selector: {text!r} (only equality-based key=value pairs)")
        sel[k.strip().rstrip("=")] = v.strip()
    return sel


def service_for(obj: dict, args) -> dict:
    """The Service `kubectl expose` builds (ServiceGeneratorV2's rules)."""
    kind = obj["kind"]
    if kind not in _EXPOSABLE:
        rt_group = obj.get("apiVersion", "").rpartition("/")[0]
        raise client_error(f"cannot expose a {kind}{'.' + rt_group if rt_group else ''}")
    meta = obj.get("metadata") or {}
    selector = _parse_selector(args.selector) if args.selector else _selector_of(obj)
    labels = _parse_selector(args.labels) if args.labels else dict(meta.get("labels") or {})
    if args.port:
        ports = [(p.strip(), "") for p in args.port.split(",")]
    else:
        ports = _ports_of(obj)
        if not ports:
            raise client_error("couldn't find port via --port flag or introspection")
    svc_ports = []
    for i, (port, proto) in enumerate(ports):
        try:
            num = int(port)
        except ValueError:
            raise client_error(f'invalid port "{port}"') from None
        entry = {"port": num, "protocol": args.protocol or proto or "TCP"}
        if len(ports) > 1:
            entry = {"name": f"port-{i + 1}", **entry}
        target = args.target_port
        entry["targetPort"] = (int(target) if target.isdigit() else target) if target else num
        svc_ports.append(entry)
    spec: dict = {"ports": svc_ports, "selector": selector}
    if args.external_ip:
        spec["externalIPs"] = [args.external_ip]
    if args.type:
        spec["type"] = args.type
    if args.type == "LoadBalancer" and args.load_balancer_ip:
        spec["loadBalancerIP"] = args.load_balancer_ip
    if args.session_affinity:
        spec["sessionAffinity"] = args.session_affinity
    if args.cluster_ip:
        spec["clusterIP"] = args.cluster_ip
    md: dict = {"creationTimestamp": None}
    if labels:
        md["labels"] = labels
    md["name"] = args.name or meta.get("name", "")
    return {"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": spec, "status": {"loadBalancer": {}}}


def run_expose(ctx, args) -> int:
    kind, name = _target(args)
    rt = resolve(kind)
    client = ctx.client()
    got = client.get(rt, name, ctx.namespace)
    if got.error:
        raise got.error
    svc = service_for(got.obj, args)
    svc_rt = resolve("services")
    dry, suffix = _dry(args)
    if args.dry_run == "client":
        shown = svc if getattr(ctx.args, "namespace", None) is None else {
            **svc, "metadata": {**svc["metadata"], "namespace": ctx.namespace}}
        _print_result(ctx, args, shown, svc_rt, "exposed", suffix)
        return 0
    resp = client.request("create", svc_rt, ctx.namespace, body=svc, dry_run=dry)
    if resp.error:
        raise resp.error
    _print_result(ctx, args, resp.obj, svc_rt, "exposed", suffix)
    return 0


# --- dns -------------------------------------------------------------------------------------------


def _reader(ctx, txn):
    from projections.netstate import StateReader

    return StateReader(txn, ctx.at_seq())


def _source_pod(ctx, reader, source: str | None) -> dict | None:
    if not source:
        return None
    kind, _, name = source.partition("/")
    if not name or kind not in ("pod", "pods", "po"):
        raise client_error(f"--from: expected pod/NAME, got {source!r}")
    pod = reader.get("", "pods", ctx.namespace, name)
    if pod is None:
        raise StatusError(404, "NotFound", f'pods "{name}" not found')
    return pod


def _dns_server(reader) -> str:
    dns = reader.get("", "services", "kube-system", "kube-dns")
    ip = ((dns or {}).get("spec") or {}).get("clusterIP", "")
    return f"{ip}#53({ip}) (kube-dns.kube-system)"


def _search_for(ctx, pod: dict | None) -> list[str] | None:
    from projections import dns

    if pod is None:
        return dns.search_path(ctx.namespace)
    spec = pod.get("spec") or {}
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    if policy == "Default" or (policy == "ClusterFirst" and spec.get("hostNetwork")):
        return None  # the node's resolv.conf: no cluster search path, no cluster DNS
    return dns.search_path(pod["metadata"].get("namespace", "default"))


def run_dns(ctx, args) -> int:
    from projections import dns

    cluster = ctx.cluster(must_exist=False)
    with cluster.store.begin() as txn:
        reader = _reader(ctx, txn)
        pod = _source_pod(ctx, reader, args.source)
        search = _search_for(ctx, pod)
        if search is None and pod is not None:
            ans = dns.Answer(args.name.rstrip(".") + ".", args.type, "NXDOMAIN",
                             note=f"pod {pod['metadata']['name']} uses the node's resolver (dnsPolicy "
                                  f"{(pod.get('spec') or {}).get('dnsPolicy') or 'ClusterFirst'}{', hostNetwork' if (pod.get('spec') or {}).get('hostNetwork') else ''}): no cluster names")
        else:
            ans = dns.resolve(reader, args.name, args.type, search)
        server = _dns_server(reader)
    if args.output == "json":
        ctx.out.write(json.dumps(dns.as_json(ans), indent=2, sort_keys=True) + "\n")
    else:
        ctx.out.write(dns.render(ans, server))
    return 0 if ans.status == "NOERROR" else 1


# --- curl ------------------------------------------------------------------------------------------


def _split_target(target: str) -> tuple[str, str | None]:
    t = target
    for scheme in ("http://", "https://"):
        if t.startswith(scheme):
            t = t[len(scheme):]
    t = t.split("/", 1)[0]
    host, colon, port = t.rpartition(":")
    if colon and port.isdigit() and host:
        return host, port
    return t, None


def _find_service(ctx, reader, host: str, port: str | None, pod: dict | None):
    """(service, port as the Service names it, curl's host text) for a connection to host:port."""
    from projections import dns
    from reducers.services import ip_row, lb_row, port_row

    try:
        ip = str(ipaddress.ip_address(host))
    except ValueError:
        ip = None
    if ip is None:
        search = _search_for(ctx, pod) if pod is not None else dns.search_path(ctx.namespace)
        ans = dns.resolve(reader, host, "A", search)
        cname = next((r for r in ans.records if r.type == "CNAME"), None)
        if cname is not None:
            raise _CurlError(6, f"Could not resolve host: {cname.data.rstrip('.')}")
        addrs = [r.data for r in ans.records if r.type == "A"]
        if ans.status != "NOERROR" or not addrs:
            raise _CurlError(6, f"Could not resolve host: {host}")
        ip = addrs[0]
    svc = reader.holder(ip_row(ip))
    if svc is not None:
        return svc, port or "80", ip
    svc = reader.holder(lb_row(ip))
    if svc is not None:
        return svc, port or "80", ip
    nodes = reader.list("", "nodes", None)
    node_ips = {a.get("address") for n in nodes for a in (n.get("status") or {}).get("addresses") or () if a.get("type") == "InternalIP"}
    if ip in node_ips:
        svc = reader.holder(port_row(int(port or 80)))
        if svc is None:
            raise _CurlError(7, f"Failed to connect to {ip} port {port or 80} after 0 ms: Connection refused")
        sport = next(p for p in svc["spec"]["ports"] if p.get("nodePort") == int(port or 80))
        return svc, str(sport["port"]), ip
    for s in reader.list("", "services", None):
        if ip in ((s.get("spec") or {}).get("externalIPs") or []):
            return s, port or "80", ip
    for p in reader.list("", "pods", None):  # a pod address (a headless name): no kube-proxy on the way
        st = p.get("status") or {}
        if st.get("podIP") == ip and st.get("phase") not in ("Succeeded", "Failed"):
            raise _DirectPod(p, ip, port or "80")
    raise _CurlError(7, f"Failed to connect to {ip} port {port or 80} after 0 ms: Could not connect to server")


class _DirectPod(Exception):
    """The address is a pod's own: the connection reaches that pod directly."""

    def __init__(self, pod: dict, ip: str, port: str):
        super().__init__(ip)
        self.pod, self.ip, self.port = pod, ip, port


def _node_port_address(reader, svc: dict, sport: str, node_name: str) -> tuple[str, str]:
    from projections import kube_proxy

    node = reader.get("", "nodes", "", node_name)
    if node is None:
        raise StatusError(404, "NotFound", f'nodes "{node_name}" not found')
    ip = next((a.get("address") for a in (node.get("status") or {}).get("addresses") or () if a.get("type") == "InternalIP"), "")
    p = kube_proxy.service_port(svc, sport) or {}
    if not p.get("nodePort"):
        raise _CurlError(7, f"Failed to connect to {ip}: service {svc['metadata']['name']} has no NodePort")
    return ip, str(p["nodePort"])


class _CurlError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def run_curl(ctx, args) -> int:
    from engine.records import Admitted

    if args.count < 1:
        raise client_error("--count must be at least 1")
    cluster = ctx.cluster()
    with cluster.store.begin() as txn:
        from projections.netstate import StateReader

        reader = StateReader(txn)
        pod = _source_pod(ctx, reader, args.source)
        host, port = _split_target(args.target)
        try:
            svc, sport, ip = _find_service(ctx, reader, host, port, pod)
            if args.via_node:
                host, port = _node_port_address(reader, svc, sport, args.via_node)
                svc, sport, ip = _find_service(ctx, reader, host, port, pod)
        except _CurlError as e:
            print(f"curl: ({e.code}) {e.message}", file=sys.stderr)
            return e.code
        except _DirectPod as d:
            image = ",".join(c.get("image", "") for c in (d.pod.get("spec") or {}).get("containers") or ())
            for _ in range(min(args.count, 10)):
                ctx.out.write(f"{d.pod['metadata']['name']} ({image}) {d.ip}:{d.port} on "
                              f"{(d.pod.get('spec') or {}).get('nodeName', '')} (pod address: direct, not through kube-proxy)\n")
            if args.count > 10:
                ctx.out.write(f"{args.count} connections, all to {d.pod['metadata']['name']}\n")
            return 0
    # The kube-proxy that handles the connection: the receiving node's for a NodePort, else the sender's.
    node = args.via_node or ((pod or {}).get("spec") or {}).get("nodeName") or "k8s-master"
    sender = args.source or "node/k8s-master"
    client = ctx.client()
    svc_meta = svc["metadata"]
    rt = resolve("services")
    counts: dict[tuple[str, str], int] = {}
    rows = []
    req = client.make("get", rt, svc_meta.get("namespace", ""), svc_meta["name"], subresource="proxy",
                      params={"port": sport, "node": node, "from": sender})
    responses = client.requests([req] * args.count) if not cluster.read_only else [cluster.submit(req) for _ in range(args.count)]
    for resp in responses:
        if resp.error is not None:
            print(f"curl: (7) Failed to connect to {ip} port {port or sport}: Connection refused "
                  f"({resp.error.message})", file=sys.stderr)
            return 7
        d = resp.entry.outcome.decided if isinstance(resp.entry.outcome, Admitted) else {}
        b = d["backend"]
        with cluster.store.begin() as txn:
            from projections.netstate import StateReader

            p = StateReader(txn).get("", "pods", b["namespace"], b["pod"]) or {}
        image = ",".join(c.get("image", "") for c in (p.get("spec") or {}).get("containers") or ())
        counts[(b["pod"], image)] = counts.get((b["pod"], image), 0) + 1
        rows.append({"seq": resp.entry.seq, "pod": b["pod"], "image": image, "ip": b["ip"], "port": b["port"],
                     "node": b["node"], "mode": d.get("mode"), **({"rr": d["rr"]} if "rr" in d else {"seed": d.get("seed")})})
    if args.output == "json":
        ctx.out.write(json.dumps({"service": f"{svc_meta.get('namespace')}/{svc_meta['name']}", "address": ip,
                                  "from": sender, "connections": rows}, indent=2) + "\n")
        return 0
    mode = rows[0]["mode"]
    if args.count <= 10:
        for r in rows:
            ctx.out.write(f"{r['pod']} ({r['image']}) {r['ip']}:{r['port']} on {r['node']}\n")
    if args.count > 1:
        by_image: dict[str, int] = {}
        for (_pod, image), n in counts.items():
            by_image[image] = by_image.get(image, 0) + n
        via = f" via node/{args.via_node}" if args.via_node else ""
        ctx.out.write(f"{args.count} connections to {svc_meta['name']} ({ip}) from {sender}{via}, kube-proxy mode {mode}:\n")
        table = [[p, img, str(n), f"{100 * n / args.count:.1f}%"] for (p, img), n in sorted(counts.items())]
        ctx.out.write(render(["POD", "IMAGE", "CONNECTIONS", "SHARE"], table))
        ctx.out.write(render(["IMAGE", "CONNECTIONS", "SHARE"],
                             [[img, str(n), f"{100 * n / args.count:.1f}%"] for img, n in sorted(by_image.items())]))
    return 0


# --- proxy rules -----------------------------------------------------------------------------------


def run_proxy_rules(ctx, args) -> int:
    from projections import kube_proxy
    from projections.netstate import StateReader

    if args.what_if:
        a, x, b = args.what_if.lower().partition("x")
        if not x or not a.isdigit() or not b.isdigit():
            raise client_error(f"--what-if: expected SERVICESxENDPOINTS (e.g. 2000x10), got {args.what_if!r}")
        rows = [kube_proxy.what_if(int(a), int(b))]
    else:
        cluster = ctx.cluster()
        with cluster.store.begin() as txn:
            rows = kube_proxy.node_rules(StateReader(txn, ctx.at_seq()))
    modes = [args.mode] if args.mode else ["iptables", "ipvs"]
    out = []
    if "iptables" in modes:
        out.append(render(["NODE", "MODE", "SERVICE PORTS", "ENDPOINTS", "IPTABLES RULES"],
                          [[r.node, "iptables", str(r.service_ports), str(r.endpoints), str(r.iptables_rules)] for r in rows]))
    if "ipvs" in modes:
        out.append(render(["NODE", "MODE", "SERVICE PORTS", "ENDPOINTS", "IPVS VIRTUAL SERVERS", "IPVS REAL SERVERS",
                           "IPSET ENTRIES", "IPTABLES RULES"],
                          [[r.node, "ipvs", str(r.service_ports), str(r.endpoints), str(r.ipvs_virtual_servers),
                            str(r.ipvs_real_servers), str(r.ipset_entries), str(kube_proxy.IPVS_IPTABLES_RULES)] for r in rows]))
    ctx.out.write("\n".join(out))
    if rows:
        r = rows[0]
        ctx.out.write(f"\nA new connection: iptables walks KUBE-SERVICES in order (up to {r.service_ports} rules, then its "
                      f"Service's chain), so its cost grows with the Services; ipvs finds the virtual server by one hash "
                      f"lookup, whatever their number.\n")
    return 0
