"""`create configmap` and `create secret generic|docker-registry|tls`: kubectl's generators
(`create_configmap.go`, `create_secret.go`, `create_secret_docker.go`, `create_secret_tls.go`).

    ktape create configmap NAME [--from-file=[KEY=]FILE|DIR]... [--from-literal=KEY=VALUE]... [--from-env-file=FILE]
    ktape create secret generic NAME [--type=T] [--from-file ...] [--from-literal ...] [--from-env-file ...]
    ktape create secret docker-registry NAME --docker-server=S --docker-username=U --docker-password=P [--docker-email=E]
    ktape create secret tls NAME --cert=FILE --key=FILE

Objects field for field as kubectl builds them (a file that is not UTF-8 goes to a ConfigMap's
`binaryData`; a directory contributes its regular files, key = file name; `.dockerconfigjson` is
`{"auths":{SERVER:{username,password,email,auth}}}` compact, in kubectl's field order), and
kubectl's client-side messages (`"a b" is not a valid key name for a ConfigMap: ...`, Go's
`tls.X509KeyPair` errors for `tls` (`log_tools.tlspair`),
`either --from-file or the combination of --docker-username, --docker-password and
--docker-server is required`, `failed to create configmap: ...`).

`register` adds the flags to the existing `create` command and routes `configmap|cm` and
`secret` through `batchcmds.generators` (registered before this module).
"""

from __future__ import annotations

import base64
import json
import os

from engine.pipeline.validation.names import is_config_map_key, is_env_var_name
from log_tools.commands import batchcmds
from log_tools.manifests import client_error

DEFAULT_DOCKER_SERVER = "https://index.docker.io/v1/"


# --- sources ----------------------------------------------------------------------------------------


def _literal(source: str) -> tuple[str, str]:
    key, eq, value = source.partition("=")
    if not eq or not key:
        raise client_error(f"invalid literal source {source}, expected key=value")
    return key, value


def _file_source(source: str) -> tuple[str | None, str]:
    """`ParseFileSource`: `[key=]path`."""
    if "=" not in source:
        return None, source
    key, _, path = source.partition("=")
    if not key:
        raise client_error(f"key name for file path {path} missing")
    if not path:
        raise client_error(f"file path for key name {key} missing")
    return key, path


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise client_error(f"error reading {path}: {e.strerror.lower() if e.strerror else e}") from None


def file_entries(sources: list[str]) -> list[tuple[str, bytes]]:
    """(key, bytes) for every `--from-file`, directories expanded in name order."""
    out: list[tuple[str, bytes]] = []
    for source in sources or ():
        key, path = _file_source(source)
        if not os.path.exists(path):
            raise client_error(f"error reading {path}: no such file or directory")
        if os.path.isdir(path):
            if key is not None:
                raise client_error("cannot give a key name for a directory path")
            for name in sorted(os.listdir(path)):
                full = os.path.join(path, name)
                if os.path.isfile(full):
                    out.append((name, _read(full)))
            continue
        out.append((key if key is not None else os.path.basename(path), _read(path)))
    return out


def env_file_entries(sources: list[str], what: str = "config") -> list[tuple[str, str]]:
    """`--from-env-file` (`cmdutil.AddFromEnvFile`): KEY=VALUE lines, `#` comments and blank lines
    skipped, leading whitespace trimmed; a bare KEY takes its value from the environment."""
    out: list[tuple[str, str]] = []
    for path in sources or ():
        if not os.path.exists(path):
            raise client_error(f"error reading {path}: no such file or directory")
        if os.path.isdir(path):
            raise client_error(f"env {what} file cannot be a directory")
        raw = _read(path)
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        for n, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
            line = line.lstrip()
            if not line or line.startswith("#"):
                continue
            key, eq, value = line.partition("=")
            errs = is_env_var_name(key)
            if errs:
                raise client_error(f'"{key}" is not a valid key name: {"; ".join(errs)}')
            if not eq:
                value = os.environ.get(key, "")
            out.append((key, value))
    return out


def _check_exclusive(args) -> None:
    if getattr(args, "from_env_file", None) and (getattr(args, "from_file", None) or getattr(args, "from_literal", None)):
        raise client_error("from-env-file cannot be combined with from-file or from-literal")


# --- the objects ------------------------------------------------------------------------------------


def _meta(name: str, namespace: str | None) -> dict:
    meta: dict = {"creationTimestamp": None, "name": name}
    if namespace:
        meta["namespace"] = namespace
    return meta


def configmap_manifest(name: str, args, namespace: str | None = None) -> dict:
    _check_exclusive(args)
    data: dict[str, str] = {}
    binary: dict[str, str] = {}

    def add(key: str, value: bytes | str) -> None:
        errs = is_config_map_key(key)
        if errs:
            raise client_error(f'"{key}" is not a valid key name for a ConfigMap: {",".join(errs)}')
        if key in data:
            raise client_error(f'cannot add key "{key}", another key by that name already exists in Data for ConfigMap "{name}"')
        if key in binary:
            raise client_error(f'cannot add key "{key}", another key by that name already exists in BinaryData for ConfigMap "{name}"')
        if isinstance(value, bytes):
            try:
                data[key] = value.decode("utf-8")
            except UnicodeDecodeError:
                binary[key] = base64.b64encode(value).decode("ascii")
        else:
            data[key] = value

    for key, content in file_entries(getattr(args, "from_file", None) or []):
        add(key, content)
    for source in getattr(args, "from_literal", None) or []:
        add(*_literal(source))
    for key, value in env_file_entries(getattr(args, "from_env_file", None) or [], "config"):
        add(key, value)
    obj: dict = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(name, namespace)}
    if data:
        obj["data"] = data
    if binary:
        obj["binaryData"] = binary
    return obj


def _secret(name: str, namespace: str | None, stype: str, data: dict[str, bytes]) -> dict:
    obj: dict = {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(name, namespace)}
    if data:
        obj["data"] = {k: base64.b64encode(v).decode("ascii") for k, v in data.items()}
    if stype:
        obj["type"] = stype
    return obj


def _secret_add(data: dict[str, bytes], key: str, value: bytes) -> None:
    errs = is_config_map_key(key)
    if errs:
        raise client_error(f'"{key}" is not valid key name for a Secret {";".join(errs)}')
    if key in data:
        raise client_error(f"cannot add key {key}, another key by that name already exists")
    data[key] = value


def generic_secret_manifest(name: str, args, namespace: str | None = None) -> dict:
    _check_exclusive(args)
    data: dict[str, bytes] = {}
    for source in getattr(args, "from_literal", None) or []:  # literals first for a Secret (create_secret.go)
        key, value = _literal(source)
        _secret_add(data, key, value.encode("utf-8"))
    for key, content in file_entries(getattr(args, "from_file", None) or []):
        _secret_add(data, key, content)
    for key, value in env_file_entries(getattr(args, "from_env_file", None) or [], "secret"):
        _secret_add(data, key, value.encode("utf-8"))
    return _secret(name, namespace, getattr(args, "type", None) or "", data)


def dockerconfigjson(username: str, password: str, email: str, server: str) -> bytes:
    entry: dict = {}
    for field, value in (("username", username), ("password", password), ("email", email),
                         ("auth", base64.b64encode(f"{username}:{password}".encode()).decode("ascii"))):
        if value:
            entry[field] = value
    return json.dumps({"auths": {server: entry}}, separators=(",", ":")).encode("utf-8")


def docker_registry_manifest(name: str, args, namespace: str | None = None) -> dict:
    server = args.docker_server if args.docker_server is not None else DEFAULT_DOCKER_SERVER
    files = getattr(args, "from_file", None) or []
    if not files and (not args.docker_username or not args.docker_password or not server):
        raise client_error("either --from-file or the combination of --docker-username, --docker-password "
                           "and --docker-server is required")
    data: dict[str, bytes] = {}
    for key, content in file_entries(files):
        _secret_add(data, key, content)
    if not files:
        data[".dockerconfigjson"] = dockerconfigjson(args.docker_username, args.docker_password,
                                                     args.docker_email or "", server)
    return _secret(name, namespace, "kubernetes.io/dockerconfigjson", data)


def _read_tls(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        reason = (e.strerror or str(e)).lower()
        raise client_error(f"Cannot read file {path}, open {path}: {reason}") from None


def tls_manifest(name: str, args, namespace: str | None = None) -> dict:
    from log_tools.tlspair import PairError, check

    if not args.cert or not args.key:
        raise client_error("key and cert must be specified")
    cert, key = _read_tls(args.cert), _read_tls(args.key)
    try:
        check(cert, key)  # tls.X509KeyPair
    except PairError as e:
        raise client_error(str(e)) from None
    return _secret(name, namespace, "kubernetes.io/tls", {"tls.crt": cert, "tls.key": key})


# --- the commands -----------------------------------------------------------------------------------


def _name(words: list[str]) -> str:
    if len(words) != 1:
        raise client_error(f"exactly one NAME is required, got {len(words)}")
    return words[0]


def _submit(ctx, args, obj: dict, failure: str) -> int:
    import sys

    from engine.registry import for_kind

    server_dry, suffix = batchcmds._dry(args)
    if getattr(args, "dry_run", "none") == "client":
        batchcmds._show(ctx, args, obj, suffix)
        return 0
    from log_tools.commands.execlogs import redacted_command

    rt = for_kind(obj["apiVersion"], obj["kind"])
    client = ctx.client(command=redacted_command(ctx))  # --docker-password stays out of the recorded command line
    resp = client.request("create", rt, ctx.namespace, body=obj, dry_run=server_dry, params=batchcmds._params(args))
    for w in resp.warnings:
        print(f"Warning: {w}", file=sys.stderr)
    if resp.error:
        raise client_error(failure + resp.error.message)
    batchcmds._show(ctx, args, resp.obj, suffix)
    return 0


def run_create_configmap(ctx, args, words: list[str]) -> int:
    name = _name(words)
    obj = configmap_manifest(name, args, batchcmds._explicit_namespace(ctx))
    return _submit(ctx, args, obj, "failed to create configmap: ")


_SECRET_KINDS = {"generic": generic_secret_manifest, "docker-registry": docker_registry_manifest, "tls": tls_manifest}


def run_create_secret(ctx, args, words: list[str]) -> int:
    if not words or words[0] not in _SECRET_KINDS:
        raise client_error("Create a secret with specified type.\n\n"
                           "Available Commands:\n  docker-registry   Create a secret for use with a Docker registry\n"
                           "  generic           Create a secret from a local file, directory, or literal value\n"
                           "  tls               Create a TLS secret")
    name = _name(words[1:])
    obj = _SECRET_KINDS[words[0]](name, args, batchcmds._explicit_namespace(ctx))
    # kubectl's own wording differs: `failed to create secret: ...` (generic, tls), `failed to create secret ...`
    return _submit(ctx, args, obj, "failed to create secret " if words[0] == "docker-registry" else "failed to create secret: ")


def register(subs, common) -> None:
    """Extend `create` (objects.py, then batchcmds.py, registered first)."""
    p = subs.choices.get("create")
    if p is None:
        return
    p.add_argument("--from-file", action="append", help="`create configmap|secret`: [KEY=]FILE or DIR (repeatable)")
    p.add_argument("--from-literal", action="append", help="`create configmap|secret`: KEY=VALUE (repeatable)")
    p.add_argument("--from-env-file", action="append", help="`create configmap|secret`: a file of KEY=VALUE lines")
    p.add_argument("--type", help="`create secret generic`: the Secret's type")
    p.add_argument("--docker-server", help=f"`create secret docker-registry`: server (default {DEFAULT_DOCKER_SERVER})")
    p.add_argument("--docker-username")
    p.add_argument("--docker-password")
    p.add_argument("--docker-email")
    p.add_argument("--cert", help="`create secret tls`: PEM certificate file")
    p.add_argument("--key", help="`create secret tls`: PEM private key file")
    p.description = (p.description or "") + (
        " ConfigMaps and Secrets: ktape create configmap game-config --from-file=DIR;"
        " ktape create secret docker-registry myregistrykey --docker-server=hub.ljh.com --docker-username=admin"
        " --docker-password=Harbor12345")
    batchcmds.generators.update({"configmap": run_create_configmap, "cm": run_create_configmap,
                                 "secret": run_create_secret})
