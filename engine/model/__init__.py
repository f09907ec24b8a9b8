"""Plain-data helpers over Kubernetes objects (selectors, quantities, pod predicates)."""
