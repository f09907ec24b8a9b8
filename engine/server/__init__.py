"""`ktape serve`: a Kubernetes-compatible HTTPS API over the engine, for real kubectl.

Modules: `app` (HTTP -> Request -> HTTP), `worker` (the single engine thread, group commit, the
clock), `discovery` (discovery and OpenAPI documents from the registry), `tables` (server-side
Table output from the CLI's printers), `watch` (events replayed from the log), `authn` (who sent
it), `tls` (serving certificate, mTLS, kubeconfig), `protobuf` (kubectl >= 1.32 typed bodies),
`convert` (served versions other than the stored one).
"""
