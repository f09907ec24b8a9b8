"""What a kubelet sync reads besides the pod (ConfigMaps, Secrets, ServiceAccounts, the recorded
registries) and the events it records, for the steps before a container starts.

Upstream order (`kuberuntime_container.go` startContainer, after the pod's volumes are mounted):
pull the image (`ErrImagePull` / `ImagePullBackOff`, see `images`), then make the container's
config (`CreateContainerConfigError` with the env error, see `configsrc`), then create and start.
A pod whose configMap/secret volume cannot be set up starts no container: it stays
`ContainerCreating` with a `FailedMount` event (`MountVolume.SetUp failed for volume "v" :
configmap "x" not found`).

A container that restarts makes its config again (a ConfigMap deleted meanwhile keeps it in
`CreateContainerConfigError`; an edited one gives the new container the new values).

Retries: a container blocked by its config, or a pod by a mount, is looked at again every 10 s of
virtual time (the pod worker's back-off period; upstream's mount retries back off from 0.5 s
to about 2 min, so a real pod may start a little later or sooner); pulls follow the image back-off
schedule. So a pod starts within 10 s of the ConfigMap or Secret it waits for appearing.

Events (reason and message as upstream; container events carry `fieldPath:
spec.containers{name}`) are counted from the Events already stored, so a repeat is recorded once
(the runtime's recorder turns it into a count on the earlier Event, `x3 over 1m`) however often
the kubelet looks: one Pulling/Failed/Error: ErrImagePull per pull attempt, one BackOff/Error:
ImagePullBackOff per back-off period, `Error: <config error>` every 10 s, FailedMount 10 s after
the last then doubling to 2m2s. Successful steps record no events (`Scheduled`, `Pulled`,
`Created`, `Started` are not simulated), except `Pulling`/`Pulled` for images from a private
registry, which tell the private-registry story.
"""

from __future__ import annotations

import hashlib

from engine.clock import parse_time, rfc3339
from engine.codec import unpack
from engine.log import eventlog
from engine.kubelet_sim import configsrc, images
from engine.pipeline.identity import node_identity
from engine.records import Request
from reducers.keys import collection_prefix, object_key

SECOND = 1_000_000
RETRY = 10 * SECOND
MOUNT_RETRY_MAX = 122 * SECOND  # the volume manager's exponential back-off tops out at 2m2s
CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError"


def needs_config(spec: dict) -> bool:
    if spec.get("envFrom"):
        return True
    for e in spec.get("env") or ():
        vf = e.get("valueFrom") or {}
        if vf.get("configMapKeyRef") or vf.get("secretKeyRef"):
            return True
    return False


def has_config_volumes(pod: dict) -> bool:
    return any(isinstance(v.get("configMap"), dict) or isinstance(v.get("secret"), dict)
               for v in (pod.get("spec") or {}).get("volumes") or ())


_CLUSTER_KEY = object_key("config.kubetape.io", "clusters", "", "cluster")


class RegistryCache:
    """The recorded registries, decoded once per stored version of the cluster settings (by the
    digest of their bytes): a cache of the state, not memory."""

    def __init__(self) -> None:
        self._hit: tuple[bytes, list] | None = None

    def get(self, view) -> list:
        raw = view.txn.get("objects", _CLUSTER_KEY)
        if raw is None:
            return []
        raw = bytes(raw)
        digest = hashlib.sha1(raw).digest()
        if self._hit is None or self._hit[0] != digest:
            self._hit = (digest, list(((unpack(raw).get("spec") or {}).get("registries")) or ()))
        return self._hit[1]


class World:
    def __init__(self, view, node_name: str, registries: RegistryCache | None = None):
        self.view = view
        self.node = node_name
        self.events: list[Request] = []
        self._registries: list | None = None
        self._cache = registries

    # --- reads -----------------------------------------------------------------------------------

    def lookup(self, resource: str, ns: str, name: str) -> dict | None:
        return self.view.get("", resource, ns, name)

    @property
    def registries(self) -> list:
        if self._registries is None:
            self._registries = (self._cache or RegistryCache()).get(self.view)
        return self._registries

    def pull_secrets(self, pod: dict) -> list[dict]:
        ns = pod["metadata"].get("namespace", "")
        sa = self.lookup("serviceaccounts", ns, (pod.get("spec") or {}).get("serviceAccountName") or "default")
        out = []
        for name in images.pull_secret_names(pod, sa):
            s = self.lookup("secrets", ns, name)
            if s is not None:
                out.append(s)
        return out

    # --- events ----------------------------------------------------------------------------------

    def event(self, pod: dict, type_: str, reason: str, message: str, container: str | None = None) -> None:
        meta = pod["metadata"]
        ns = meta.get("namespace") or "default"
        involved = {"apiVersion": "v1", "kind": "Pod", "name": meta["name"], "namespace": ns,
                    "uid": meta.get("uid", ""), "resourceVersion": meta.get("resourceVersion", "")}
        if container is not None:
            involved["fieldPath"] = f"spec.containers{{{container}}}"
        now = rfc3339(self.view.now)
        body = {"apiVersion": "v1", "kind": "Event", "metadata": {"generateName": f"{meta['name']}.", "namespace": ns},
                "involvedObject": involved, "reason": reason, "message": message, "type": type_,
                "source": {"component": "kubelet", "host": self.node}, "firstTimestamp": now, "lastTimestamp": now,
                "eventTime": None, "count": 1, "reportingComponent": "kubelet", "reportingInstance": self.node}
        who = node_identity(self.node)
        self.events.append(Request(verb="create", resource="events", namespace=ns, body=body, user=who.name,
                                   groups=who.groups))

    def stored(self, pod: dict, reason: str, message: str, container: str | None = None) -> dict | None:
        """The Event already recorded for this pod (and container) with this reason and message."""
        meta = pod["metadata"]
        uid, field_path = meta.get("uid", ""), f"spec.containers{{{container}}}" if container else ""
        prefix = collection_prefix("", "events", meta.get("namespace", "")) + f"{meta['name']}.".encode()
        for _k, ev in eventlog.scan_objects(self.view.txn, prefix):
            inv = ev.get("involvedObject") or {}
            if (inv.get("uid") == uid and ev.get("reason") == reason and ev.get("message") == message
                    and inv.get("fieldPath", "") == field_path):
                return ev
        return None

    def _count(self, pod: dict, reason: str, message: str, container: str | None = None) -> int:
        ev = self.stored(pod, reason, message, container)
        return 0 if ev is None else int(ev.get("count") or 1)

    def _due_again(self, pod: dict, reason: str, message: str, container: str | None, gap) -> bool:
        """Whether a repeated failure is recorded again now: never yet, or `gap(count)` after the last."""
        ev = self.stored(pod, reason, message, container)
        if ev is None:
            return True
        last = parse_time(ev["lastTimestamp"]) if ev.get("lastTimestamp") else 0
        return self.view.now - last >= gap(int(ev.get("count") or 1))

    # --- the steps before a start ----------------------------------------------------------------

    def mount_blocked(self, pod: dict) -> bool:
        """True (and a FailedMount event when one is due) when a configMap/secret volume cannot be set up."""
        if not has_config_volumes(pod):
            return False
        msg = configsrc.mount_error(pod, self.lookup)
        if msg is None:
            return False
        if self._due_again(pod, "FailedMount", msg, None, lambda n: min(RETRY * 2 ** (n - 1), MOUNT_RETRY_MAX)):
            self.event(pod, "Warning", "FailedMount", msg)
        return True

    def config_blocked(self, pod: dict, spec: dict, cs: dict, now: int) -> tuple[dict, int] | None:
        """`CreateContainerConfigError` (and when to look again) if the container's env cannot be
        made now; None (with any invalid-name warnings recorded) when it can."""
        if not needs_config(spec):
            return None
        name = spec["name"]
        try:
            env = configsrc.environment(pod, spec, self.lookup)
        except configsrc.ConfigError as e:
            waiting = {"reason": CREATE_CONTAINER_CONFIG_ERROR, "message": str(e)}
            if self._due_again(pod, "Failed", f"Error: {e}", name, lambda n: RETRY):
                self.event(pod, "Warning", "Failed", f"Error: {e}", name)
            return {**cs, "ready": False, "started": False, "state": {"waiting": waiting}}, now + RETRY
        for reason, message in env.warnings:
            self.event(pod, "Warning", reason, message)
        return None

    def before_start(self, pod: dict, spec: dict, cs: dict, t0: int, now: int) -> tuple[dict, int] | None:
        """The waiting status (and next due time) of a container that cannot start yet, or None."""
        name, image = spec["name"], spec.get("image", "")
        private = bool(self.registries) and images.private_registry(self.registries, image) is not None
        if private:
            err = images.pull_error(self.registries, image, self.pull_secrets(pod))
            if err is not None:
                waiting, due = images.failed_state(image, err, t0, now)
                k, _at, _next = images.attempts_until(t0, now)
                if self._count(pod, "Pulling", f'Pulling image "{image}"', name) < k + 1:  # this attempt's events
                    self.event(pod, "Normal", "Pulling", f'Pulling image "{image}"', name)
                    self.event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {err}', name)
                    self.event(pod, "Warning", "Failed", f"Error: {images.ERR_IMAGE_PULL}", name)
                if (waiting["reason"] == images.IMAGE_PULL_BACKOFF
                        and self._count(pod, "BackOff", waiting["message"], name) < images.backoffs_until(t0, now)):
                    self.event(pod, "Normal", "BackOff", waiting["message"], name)
                    self.event(pod, "Warning", "Failed", f"Error: {images.IMAGE_PULL_BACKOFF}", name)
                return {**cs, "state": {"waiting": waiting}}, due
        blocked = self.config_blocked(pod, spec, cs, now)
        if blocked is not None:
            return blocked
        if private:  # the pull that succeeded, just before the start
            self.event(pod, "Normal", "Pulling", f'Pulling image "{image}"', name)
            self.event(pod, "Normal", "Pulled", f'Successfully pulled image "{image}" in 0s (0s including waiting)', name)
        return None
