"""What a running container sees at a moment: its environment and its ConfigMap/Secret files,
derived from the log alone (no record is written for them, as a kubelet writes none upstream).

* The container instance (the current `containerID`) started at the kubelet's status write that
  first reported it running (seq S). The kubelet decided from the state at S-1, so the
  environment, the command line and the files as first mounted are `configsrc`'s answers over the
  objects as of S-1 (time travel). The environment never changes after that.
* Hot update: a later version of a mounted ConfigMap or Secret (written at time E, seq s) reaches
  the files at E + 60 s (the kubelet's sync period) + a cache delay of 0-30 s (its TTL), the delay
  fixed per pod and version by SHA-256(pod uid, object key, s). So an edit shows within 60-90 s of
  virtual time, and the file view at any moment T is the newest version whose moment has come.
  A mount with `subPath` keeps the first content, as upstream; a deleted object leaves the last
  files in place.

Reads only (versions table, entries); the cost follows the pod's and the sources' histories.
"""

from __future__ import annotations

import hashlib

import attrs

from engine.kubelet_sim import configsrc
from engine.kubelet_sim.configsrc import File
from engine.log import eventlog
from engine.log.eventlog import SEP, from_u64, u64
from engine.log.kv import Txn
from projections.timetravel import list_at, object_at
from reducers.keys import collection_prefix, object_key

SECOND = 1_000_000
SYNC_PERIOD = 60 * SECOND
CACHE_TTL_MAX = 30  # seconds


class NotRunning(Exception):
    """The container has no running instance (message: what kubectl says)."""


@attrs.frozen
class ContainerView:
    pod: dict
    container: dict
    start_seq: int
    env: configsrc.Env
    argv: list
    files: dict  # absolute path -> File


def _versions(txn: Txn, key: bytes, after: int, upto: int) -> list[tuple[int, bytes]]:
    prefix = key + SEP
    return [(from_u64(bytes(k[len(prefix):])), bytes(v[:1])) for k, v in txn.scan("versions", prefix + u64(after + 1), prefix + u64(upto + 1))]


def start_seq(txn: Txn, pod_key: bytes, name: str, container_id: str, upto: int) -> int | None:
    """The seq of the status write that first reported `container_id` for container `name`."""
    prefix = pod_key + SEP
    found = None
    for k, _v in txn.scan("versions", prefix, prefix + u64(upto + 1), reverse=True):
        s = from_u64(bytes(k[len(prefix):]))
        entry = eventlog.read_entry(txn, s)
        req = entry.request
        if req.subresource != "status" or not isinstance(req.body, dict):
            continue
        status = req.body.get("status") or {}
        ids = {cs.get("name"): cs.get("containerID") for cs in
               list(status.get("initContainerStatuses") or ()) + list(status.get("containerStatuses") or ())}
        if name not in ids:
            continue  # a status write that does not speak of this container
        if ids[name] == container_id:
            found = s
        elif found is not None:
            break
    return found


def lookup_at(txn: Txn, seq: int):
    def look(resource: str, ns: str, name: str):
        return object_at(txn, object_key("", resource, ns, name), seq)
    return look


def services_at(txn: Txn, seq: int):
    def services(ns: str) -> list[dict]:
        return [o for _k, o in list_at(txn, collection_prefix("", "services", ns), seq)]
    return services


def _delay(pod_uid: str, key: bytes, seq: int) -> int:
    digest = hashlib.sha256(pod_uid.encode() + b"\x00" + key + b"\x00" + str(seq).encode()).digest()
    return SYNC_PERIOD + (int.from_bytes(digest[:4], "big") % (CACHE_TTL_MAX + 1)) * SECOND


def _source_key(pod: dict, volume: dict) -> bytes | None:
    ns = pod["metadata"].get("namespace", "")
    if isinstance(volume.get("configMap"), dict):
        return object_key("", "configmaps", ns, volume["configMap"].get("name", ""))
    if isinstance(volume.get("secret"), dict):
        return object_key("", "secrets", ns, volume["secret"].get("secretName", ""))
    return None


def visible_seq(txn: Txn, pod: dict, key: bytes, mounted: int, upto: int, now: int) -> int:
    """The seq whose version of `key` the pod's files show at `now` (`mounted`: the first one)."""
    best = mounted
    uid = pod["metadata"].get("uid", "")
    for s, tag in _versions(txn, key, mounted, upto):
        if tag == b"D":
            continue
        at = eventlog.read_entry(txn, s).at
        if at + _delay(uid, key, s) <= now and s > best:
            best = s
    return best


def files_at(txn: Txn, pod: dict, container: dict, mounted: int, upto: int, now: int) -> dict[str, File]:
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or ()}
    out: dict[str, File] = {}
    for mount in container.get("volumeMounts") or ():
        volume = volumes.get(mount.get("name"))
        if volume is None:
            continue
        if isinstance(volume.get("projected"), dict):
            files = _projected(txn, pod, volume["projected"], mounted, upto, now, bool(mount.get("subPath")))
        else:
            key = _source_key(pod, volume)
            if key is None:
                continue
            seq = mounted if mount.get("subPath") else visible_seq(txn, pod, key, mounted, upto, now)
            try:
                files = configsrc.payload(pod, volume, lookup_at(txn, seq)) or {}
            except configsrc.ConfigError:
                files = {}
        base = mount.get("mountPath", "").rstrip("/")
        if mount.get("subPath"):
            f = files.get(mount["subPath"])
            if f is not None:
                out[base or "/"] = f
            continue
        for rel, f in files.items():
            out[f"{base}/{rel}"] = f
    return out


def _projected(txn: Txn, pod: dict, projected: dict, mounted: int, upto: int, now: int, sub_path: bool) -> dict[str, File]:
    """A projected volume's configMap, secret and downwardAPI (fieldRef) sources, merged in order
    (service account tokens are not simulated). Display only: the kubelet does not hold a pod
    back for a projected source."""
    default_mode = projected.get("defaultMode")
    out: dict[str, File] = {}
    for source in projected.get("sources") or ():
        if isinstance(source.get("downwardAPI"), dict):
            for item in source["downwardAPI"].get("items") or ():
                ref = item.get("fieldRef") or {}
                if ref.get("fieldPath"):
                    try:
                        value = configsrc.field_ref(pod, ref["fieldPath"])
                    except configsrc.ConfigError:
                        continue
                    mode = item.get("mode", default_mode)
                    out[item.get("path", "")] = File(value.encode(), configsrc.DEFAULT_MODE if mode is None else int(mode))
            continue
        for kind, name_field in (("configMap", "name"), ("secret", "name")):
            if not isinstance(source.get(kind), dict):
                continue
            src = dict(source[kind])
            if default_mode is not None:
                src["defaultMode"] = default_mode
            volume = {"name": "", kind: src} if kind == "configMap" else \
                {"name": "", "secret": {**src, "secretName": src.get(name_field, "")}}
            key = _source_key(pod, volume)
            seq = mounted if sub_path else visible_seq(txn, pod, key, mounted, upto, now)
            try:
                out.update(configsrc.payload(pod, volume, lookup_at(txn, seq)) or {})
            except configsrc.ConfigError:
                pass
    return out


def container_view(txn: Txn, pod: dict, name: str, upto: int, now: int, previous: bool = False) -> ContainerView:
    """The container's current instance (or, `previous`, the one before: its last terminated state)."""
    meta = pod["metadata"]
    spec = pod.get("spec") or {}
    container = next((c for c in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ())
                      if c.get("name") == name), None)
    status = pod.get("status") or {}
    cs = next((s for s in list(status.get("containerStatuses") or ()) + list(status.get("initContainerStatuses") or ())
               if s.get("name") == name), None)
    container_id = (((cs or {}).get("lastState") or {}).get("terminated") or {}).get("containerID") if previous \
        else (cs or {}).get("containerID")
    if container is None or cs is None or not container_id:
        raise NotRunning(name)
    key = object_key("", "pods", meta.get("namespace", ""), meta["name"])
    s = start_seq(txn, key, name, container_id, upto)
    if s is None:
        raise NotRunning(name)
    before = s - 1
    pod_then = object_at(txn, key, before) or pod
    try:
        env = configsrc.environment(pod_then, container, lookup_at(txn, before), services_at(txn, before))
    except configsrc.ConfigError:
        env = configsrc.Env((), ())
    argv = configsrc.command_line(container, env)
    return ContainerView(pod, container, s, env, argv, files_at(txn, pod, container, before, upto, now))


OOM_SCORE_ADJ = "/proc/self/oom_score_adj"


def oom_score_file(txn: Txn, pod: dict, container: dict, seq: int) -> File:
    """`/proc/self/oom_score_adj` as the kubelet set it when it started the container: its QoS
    policy (`engine.model.qos.oom_score_adj`) with the node's memory capacity as of then."""
    from engine.model.qos import container_oom_scores

    node_name = (pod.get("spec") or {}).get("nodeName") or ""
    node = object_at(txn, object_key("", "nodes", "", node_name), seq) or {}
    score = container_oom_scores(pod, node).get(container.get("name", ""), 1000)
    return File(f"{score}\n".encode(), 0o644)


def with_proc_files(txn: Txn, view: "ContainerView") -> "ContainerView":
    """The view plus `/proc/self/oom_score_adj`: the kubelet's OOM score policy for the container
    (what `exec` sees; a container's own output never reads it)."""
    if OOM_SCORE_ADJ in view.files:
        return view
    proc = oom_score_file(txn, view.pod, view.container, view.start_seq - 1)
    return attrs.evolve(view, files={**view.files, OOM_SCORE_ADJ: proc})


def container_status(pod: dict, name: str) -> dict:
    """The pod's status entry for container `name` (app or init), {} when it has none yet."""
    status = pod.get("status") or {}
    for cs in list(status.get("containerStatuses") or ()) + list(status.get("initContainerStatuses") or ()):
        if cs.get("name") == name:
            return cs
    return {}
