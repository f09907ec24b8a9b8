"""Sub-commands of `ktape`, one module per family."""
