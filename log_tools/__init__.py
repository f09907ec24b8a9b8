"""The `ktape` command line: kubectl-style verbs plus log tools."""
