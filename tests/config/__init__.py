"""ConfigMaps and Secrets: validation, generators, the kubelet's env/files/pulls, exec and logs."""
