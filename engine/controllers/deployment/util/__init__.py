"""Deployment helpers (upstream `pkg/controller/deployment/util`): fenceposts, ReplicaSet identification
and ordering, revisions, conditions and the pod-template-hash."""

from .conditions import *  # noqa: F401,F403
from .fenceposts import *  # noqa: F401,F403
from .hash import compute_hash, fnv32a, safe_encode_string, semantic  # noqa: F401
from .replicasets import *  # noqa: F401,F403
from .revision import *  # noqa: F401,F403
