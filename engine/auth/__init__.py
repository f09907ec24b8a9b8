"""Authentication and authorization: RBAC, the Node and ABAC authorizers, the bootstrap policy,
ServiceAccount and static tokens. The request path's entry points are `engine.pipeline.authn`
(who is asking) and `engine.pipeline.authz` (may they)."""
