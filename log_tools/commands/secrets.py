"""`ktape secrets`: encryption at rest of Secrets (and ConfigMaps) - configuration, rotation, shredding.

- `ktape init --encryption-provider-config FILE` (or `ktape secrets encryption-config FILE` later)
  installs an EncryptionConfiguration in `DATA/encryption/` (keys never enter the log) and records
  which resources are encrypted and with which provider:key names in the cluster settings.
- `ktape secrets rewrap` re-wraps every data key with the first provider's first key (rotation:
  afterwards the old key can leave the configuration).
- `ktape secrets forget NAMESPACE/NAME` destroys the data key of one Secret (crypto-shredding) as
  a recorded request; its history stays in the chain and reads as redacted at every seq.
"""

from __future__ import annotations

import os

from engine.records import Request
from log_tools.manifests import client_error


def register(subs, common) -> None:
    p = subs.add_parser("secrets", parents=[common], help="encryption at rest: forget a secret, rotate keys, change the configuration",
                        description="Examples:\n  ktape secrets forget default/db-password\n  ktape secrets rewrap\n"
                                    "  ktape secrets encryption-config new-encryption.yaml",
                        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    ss = p.add_subparsers(dest="secrets_command", metavar="SUBCOMMAND", required=True)
    f = ss.add_parser("forget", parents=[common], help="destroy one secret's data key (its history reads as redacted)",
                      description="Example: ktape secrets forget default/db-password")
    f.add_argument("target", metavar="NAMESPACE/NAME")
    f.add_argument("--resource", default="secrets", choices=["secrets", "configmaps"])
    f.set_defaults(run=run_forget)
    r = ss.add_parser("rewrap", parents=[common], help="re-wrap every data key with the first provider's key",
                      description="Example: ktape secrets rewrap")
    r.set_defaults(run=run_rewrap)
    c = ss.add_parser("encryption-config", parents=[common], help="replace the EncryptionConfiguration (recorded)",
                      description="Example: ktape secrets encryption-config rotated.yaml")
    c.add_argument("file")
    c.set_defaults(run=run_config)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise client_error(f'error opening encryption provider configuration file "{path}": {exc.strerror}') from None


def summary(config) -> dict:
    """What the log records of a configuration: resources and provider:key names, never a key."""
    return {"resources": list(config.resources),
            "providers": [p.kind if p.kind == "identity" else f"{p.kind}:{','.join(n for n, _ in p.keys)}" for p in config.providers]}


def install(ctx, cluster, path: str) -> dict:
    """Validate and install a configuration; load its keyring into the open cluster."""
    from engine.crypto.config import EncryptionConfigError
    from engine.crypto.keyring import install_config, load_keyring

    text = _read(path)
    try:
        config = install_config(ctx.data, text)
    except EncryptionConfigError as exc:
        raise client_error(f"error while parsing file: {exc}") from None
    cluster.store.keyring = load_keyring(ctx.data)
    return summary(config)


def validate_file(path: str):
    from engine.crypto.config import EncryptionConfigError, load_config_text

    try:
        return load_config_text(_read(path))
    except EncryptionConfigError as exc:
        raise client_error(f"error while parsing file: {exc}") from None


def run_config(ctx, args) -> int:
    validate_file(args.file)  # before touching anything
    cluster = ctx.cluster(must_exist=True)
    enc = install(ctx, cluster, args.file)
    resp = _submit(ctx, verb="patch", group="config.kubetape.io", version="v1alpha1", resource="clusters",
                   name="cluster", body={"spec": {"encryption": enc}}, params={"patchType": "merge"})
    if resp.error is not None:
        raise resp.error
    ctx.out.write(f"encryption configuration installed: {', '.join(enc['resources'])} written with {enc['providers'][0]}"
                  f" (seq {resp.entry.seq if resp.entry else '-'})\n")
    return 0


def run_rewrap(ctx, args) -> int:
    cluster = ctx.cluster(must_exist=True)
    kr = cluster.store.keyring
    if kr is None:
        raise client_error("encryption at rest is not configured for this cluster (ktape init --encryption-provider-config FILE)")
    n = kr.rewrap()
    ctx.out.write(f"{n} data key(s) re-wrapped with {kr.config.writer.kind}:{kr.config.writer.keys[0][0] if kr.config.writer.keys else ''}\n")
    return 0


def run_forget(ctx, args) -> int:
    ns, _, name = args.target.rpartition("/")
    if not name:
        raise client_error("usage: ktape secrets forget NAMESPACE/NAME")
    ns = ns or ctx.namespace
    ctx.cluster(must_exist=True)
    resp = _submit(ctx, verb="delete", group="kubetape.io", resource="datakeys", namespace=ns, name=name,
                   body={"resource": args.resource})
    if resp.error is not None:
        raise resp.error
    ctx.out.write(f'{args.resource[:-1]} "{name}" forgotten: {len(resp.entry.outcome.decided["forgotten"])} data key(s) destroyed '
                  f"(seq {resp.entry.seq}); its history now reads as redacted\n")
    return 0


def _submit(ctx, **fields):
    """A request under the caller's identity (`--as` included), with the command line recorded."""
    client = ctx.client()
    user, groups, impersonator = client._identity()
    params = {**fields.pop("params", {}), "command": client.command}
    return ctx.cluster().submit(Request(user=user, groups=groups, impersonator=impersonator, params=params, **fields))
