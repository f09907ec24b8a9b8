"""Image pulls from the simulated registries: which images are private, which pull secrets open them,
and the back-off schedule of failed pulls.

The cluster setting `spec.registries` (written by `ktape registry add`, recorded in the log) lists
registries as `{server, privateRepositories: [project...], username, passwordSha256}`: an image
whose host is `server` and whose repository path starts with a listed project
(`hub.ljh.com/secret/myapp:v1` -> project `secret`) needs credentials; everything else pulls
anonymously. Only a SHA-256 of the password is recorded.

Credentials come from the pod's `imagePullSecrets` (and, standing in for the ServiceAccount
admission plugin that copies them into the pod, its ServiceAccount's), each a
`kubernetes.io/dockerconfigjson` (`{"auths": {...}}`) or `kubernetes.io/dockercfg` Secret, matched
as the kubelet's keyring does (`credentialprovider`: the entry's host must be the image's host,
an entry path must prefix the repository; `https://` / `http://` prefixes are ignored); an entry
gives `username`/`password` or `auth` (base64 `user:pass`).

Failures read as containerd 1.7 reports them through the CRI (`rpc error: code = Unknown desc =
failed to pull and unpack image ...`): no matching entry gets `pull access denied, repository
does not exist or may require authorization: server message: insufficient_scope: authorization
failed`, a wrong password `failed to authorize: failed to fetch oauth token: unexpected status:
401 Unauthorized`.

Back-off (`images/image_manager.go`, `flowcontrol.Backoff` 10 s doubling to 300 s; the pod worker
re-syncs a failed pod after 10 s): attempt 0 at the container's start time t0, attempt k+1 at
attempt k + min(10 * 2^k, 300) s. After a failed attempt the container waits `ErrImagePull`; from
10 s after it, when the next attempt is still ahead, `ImagePullBackOff` ("Back-off pulling image
"X""). So the first two attempts (t0, t0+10s) both show ErrImagePull, as on a real node. Every
moment follows from t0 (fixed by the recorded status) and the time: the schedule needs no memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from engine.kubelet_sim import configsrc
from engine.kubelet_sim.status import normalize_image

SECOND = 1_000_000
BACKOFF_INITIAL = 10
BACKOFF_MAX = 300
WORKER_RESYNC = 10

ERR_IMAGE_PULL = "ErrImagePull"
IMAGE_PULL_BACKOFF = "ImagePullBackOff"
RPC_PREFIX = "rpc error: code = Unknown desc = "


def password_hash(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def split_image(image: str) -> tuple[str, str]:
    """(host, repository path) of an image reference, as containerd normalizes it."""
    ref = normalize_image(image)
    name = ref.split("@", 1)[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name = name[:colon]
    host, _, path = name.partition("/")
    return host, path


def private_registry(registries: list[dict], image: str) -> dict | None:
    """The registry entry that holds `image` in a private project, or None (an anonymous pull)."""
    host, path = split_image(image)
    for reg in registries or ():
        if str(reg.get("server", "")).lower() != host.lower():
            continue
        for project in reg.get("privateRepositories") or ():
            project = str(project).strip("/")
            if path == project or path.startswith(project + "/"):
                return reg
    return None


def _entries(secret: dict) -> dict:
    data = secret.get("data") or {}
    stype = secret.get("type")
    try:
        if stype == "kubernetes.io/dockerconfigjson":
            return (json.loads(configsrc.decode(data.get(".dockerconfigjson", ""))) or {}).get("auths") or {}
        if stype == "kubernetes.io/dockercfg":
            return json.loads(configsrc.decode(data.get(".dockercfg", ""))) or {}
    except (ValueError, UnicodeDecodeError, AttributeError):
        return {}
    return {}


def _matches(key: str, host: str, path: str) -> bool:
    for scheme in ("https://", "http://"):
        if key.startswith(scheme):
            key = key[len(scheme):]
    key = key.rstrip("/")
    khost, _, kpath = key.partition("/")
    if khost.lower() != host.lower():
        return False
    return not kpath or path == kpath or path.startswith(kpath.rstrip("/") + "/")


def _credentials(entry: dict) -> tuple[str, str]:
    user, password = str(entry.get("username") or ""), str(entry.get("password") or "")
    if entry.get("auth"):
        try:
            user, _, password = base64.b64decode(str(entry["auth"])).decode("utf-8").partition(":")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            pass
    return user, password


def pull_secret_names(pod: dict, service_account: dict | None) -> list[str]:
    names = [s.get("name", "") for s in (pod.get("spec") or {}).get("imagePullSecrets") or ()]
    for s in (service_account or {}).get("imagePullSecrets") or ():
        if s.get("name", "") not in names:
            names.append(s.get("name", ""))
    return [n for n in names if n]


def pull_error(registries: list[dict], image: str, secrets: list[dict]) -> str | None:
    """Why pulling `image` with these pull secrets fails (the CRI's message), or None."""
    reg = private_registry(registries, image)
    if reg is None:
        return None
    host, path = split_image(image)
    ref = normalize_image(image)
    found = False
    for secret in secrets:
        for key, entry in sorted(_entries(secret).items()):
            if not isinstance(entry, dict) or not _matches(str(key), host, path):
                continue
            found = True
            user, password = _credentials(entry)
            if user == reg.get("username") and password_hash(password) == reg.get("passwordSha256"):
                return None
    head = f'{RPC_PREFIX}failed to pull and unpack image "{ref}": failed to resolve reference "{ref}": '
    if found:
        return head + "failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized"
    return head + ("pull access denied, repository does not exist or may require authorization: "
                   "server message: insufficient_scope: authorization failed")


# --- the back-off schedule ------------------------------------------------------------------------


def attempts_until(t0: int, now: int) -> tuple[int, int, int]:
    """(k, a_k, a_k+1): the latest attempt at or before `now` (k >= 0, a_0 = t0) and the next one."""
    k, at = 0, t0
    while True:
        nxt = at + min(BACKOFF_INITIAL * 2 ** min(k, 16), BACKOFF_MAX) * SECOND
        if nxt > now:
            return k, at, nxt
        k, at = k + 1, nxt


def failed_state(image: str, message: str, t0: int, now: int) -> tuple[dict, int]:
    """The waiting state of a container whose pulls keep failing, and when it next changes."""
    _k, at, nxt = attempts_until(t0, now)
    resync = at + WORKER_RESYNC * SECOND
    if now < resync or resync >= nxt:
        return {"reason": ERR_IMAGE_PULL, "message": message}, min(resync, nxt) if resync < nxt else nxt
    return {"reason": IMAGE_PULL_BACKOFF, "message": f'Back-off pulling image "{image}"'}, nxt


def backoffs_until(t0: int, now: int) -> int:
    """How many back-off periods have begun by `now` (one after each attempt but the first)."""
    k, at, _nxt = attempts_until(t0, now)
    n, a = 0, t0
    for i in range(1, k + 1):
        a = a + min(BACKOFF_INITIAL * 2 ** min(i - 1, 16), BACKOFF_MAX) * SECOND
        if a + WORKER_RESYNC * SECOND <= now:
            n += 1
    return n
