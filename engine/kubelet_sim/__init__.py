"""Simulated nodes: the kubelets that run pods by declared behaviour, and the node controller's
reaction to a kubelet that goes down (`faults`)."""

from engine.kubelet_sim.kubelet import Kubelet
from engine.kubelet_sim.node_monitor import NodeMonitor

__all__ = ["Kubelet", "NodeMonitor"]
