"""The runtime: the virtual clock and the loop that runs actors to a fixed point."""
