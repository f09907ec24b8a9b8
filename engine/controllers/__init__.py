"""Controllers: pure decide functions, one concern per module (upstream kube-controller-manager)."""
