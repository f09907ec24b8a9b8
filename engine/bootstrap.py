"""A new cluster, entirely as log records: the clock's start, the recorded settings, the system
namespaces, the nodes (registered by their kubelets) and the default Services.

The same options from the same start time give the same log, byte for byte.
"""

from __future__ import annotations

import attrs

from engine.api import Cluster
from engine.errors import StatusError
from engine.pipeline.allocators import well_known_ips
from engine.pipeline.identity import node_identity
from engine.records import Request
from engine.runtime.loop import clock_request

APISERVER = ("system:apiserver", ("system:masters", "system:authenticated"))
KUBE_VERSION = "v1.32.4"
LB_RANGE = "172.18.255.200-172.18.255.250"  # simulated load-balancer pool (MetalLB-style, on the nodes' network)
PROXY_MODES = ("ipvs", "iptables", "userspace")


@attrs.frozen
class InitOptions:
    start_time: int  # microseconds since the epoch
    nodes: int = 2  # workers, besides the control-plane node
    node_cpu: str = "4"
    node_memory: str = "8Gi"
    node_pods: str = "110"
    authorization_modes: tuple[str, ...] = ("AlwaysAllow",)
    # Encryption at rest, as recorded (resources and provider:key names; the keys stay outside the log).
    encryption: dict | None = None
    service_cidr: str = "10.96.0.0/12"  # kubeadm's --service-cidr
    node_port_range: str = "30000-32767"  # --service-node-port-range
    proxy_mode: str = "ipvs"  # kube-proxy --proxy-mode: ipvs | iptables | userspace


def _req(verb: str, resource: str, body: dict, *, user=APISERVER, group="", version="v1", namespace="", name="", sub="") -> Request:
    return Request(verb=verb, group=group, version=version, resource=resource, namespace=namespace, name=name,
                   subresource=sub, body=body, user=user[0], groups=tuple(user[1]))


def node_names(opts: InitOptions) -> list[str]:
    return ["k8s-master"] + [f"node{i}" for i in range(1, opts.nodes + 1)]


def node_manifest(name: str, index: int, opts: InitOptions) -> tuple[dict, dict]:
    """The Node a kubelet registers, and the status it reports right after."""
    master = name == "k8s-master"
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    spec: dict = {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"]}
    if master:
        labels["node-role.kubernetes.io/control-plane"] = ""
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}, "spec": spec}
    res = {"cpu": opts.node_cpu, "memory": opts.node_memory, "pods": opts.node_pods, "ephemeral-storage": "100Gi"}
    status = {
        "capacity": dict(res),
        "allocatable": dict(res),
        "addresses": [{"type": "InternalIP", "address": f"172.18.0.{index + 2}"}, {"type": "Hostname", "address": name}],
        "conditions": [
            {"type": t, "status": "False", "reason": r, "message": m}
            for t, r, m in (
                ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            )
        ] + [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
        "nodeInfo": {"kubeletVersion": KUBE_VERSION, "kubeProxyVersion": KUBE_VERSION, "operatingSystem": "linux",
                     "architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.24"},
        "phase": "Running",
    }
    return node, status


def init(cluster: Cluster, opts: InitOptions) -> None:
    """Write the bootstrap records into an empty log."""
    if cluster.initialized:
        raise StatusError(409, "AlreadyExists", "the cluster is already initialized")
    reqs: list[Request] = [Request(**{**attrs.asdict(clock_request(opts.start_time), recurse=False), "user": "system:kubetape:bootstrap"})]
    settings = {
        "apiVersion": "config.kubetape.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": "cluster"},
        "spec": {
            "kubernetesVersion": KUBE_VERSION,
            "authorization": {"modes": list(opts.authorization_modes)},
            "serviceCIDR": opts.service_cidr,
            "nodePortRange": opts.node_port_range,
            "proxyMode": opts.proxy_mode,
            "loadBalancerIPRange": LB_RANGE,
            "podCIDR": "10.244.0.0/16",
            "nodes": {"workers": opts.nodes, "cpu": opts.node_cpu, "memory": opts.node_memory, "pods": opts.node_pods},
        },
    }
    if opts.encryption:
        settings["spec"]["encryption"] = opts.encryption
    reqs.append(_req("create", "clusters", settings, group="config.kubetape.io", version="v1alpha1",
                     user=("system:kubetape:bootstrap", ("system:masters", "system:authenticated"))))
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        reqs.append(_req("create", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
    for i, name in enumerate(node_names(opts)):
        node, status = node_manifest(name, i, opts)
        who = node_identity(name)
        reqs.append(_req("create", "nodes", node, user=(who.name, who.groups)))
        reqs.append(_req("update", "nodes", {**node, "status": status}, name=name, sub="status", user=(who.name, who.groups)))
    api_ip, dns_ip = well_known_ips(opts.service_cidr)
    reqs.append(_req("create", "services", {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": api_ip, "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
    }, namespace="default"))
    # The apiserver's endpoint reconciler publishes its own address for the selector-less `kubernetes` Service.
    master_ip = node_manifest(node_names(opts)[0], 0, opts)[1]["addresses"][0]["address"]
    reqs.append(_req("create", "endpoints", {
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": master_ip}], "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}],
    }, namespace="default"))
    reqs.append(_req("create", "endpointslices", {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "kubernetes", "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [master_ip], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
    }, group="discovery.k8s.io", namespace="default"))
    reqs.append(_req("create", "services", {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                                    "kubernetes.io/name": "CoreDNS"}},
        "spec": {"clusterIP": dns_ip, "selector": {"k8s-app": "kube-dns"}, "ports": [
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
            {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]},
    }, namespace="kube-system"))
    for resp in cluster.submit_batch(reqs):
        if resp.error is not None:
            raise resp.error
