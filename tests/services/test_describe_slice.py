"""`describe endpointslice` as kubectl's describeEndpointSliceV1 prints it."""

from log_tools.printers.describe import describe


def test_describe_endpointslice():
    obj = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
           "metadata": {"name": "web-abcde", "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
           "addressType": "IPv4", "ports": [{"name": "", "port": 80, "protocol": "TCP"}],
           "endpoints": [{"addresses": ["10.244.1.2"], "conditions": {"ready": False}, "nodeName": "node1",
                          "targetRef": {"kind": "Pod", "name": "web-1"}}]}
    assert describe("EndpointSlice", obj, [], 0) == (
        "Name:         web-abcde\n"
        "Namespace:    default\n"
        "Labels:       kubernetes.io/service-name=web\n"
        "Annotations:  <none>\n"
        "AddressType:  IPv4\n"
        "Ports:\n"
        "  Name     Port  Protocol\n"
        "  ----     ----  --------\n"
        "  <unset>  80    TCP\n"
        "Endpoints:\n"
        "  - Addresses:  10.244.1.2\n"
        "    Conditions:\n"
        "      Ready:    false\n"
        "    Hostname:   <unset>\n"
        "    TargetRef:  Pod/web-1\n"
        "    NodeName:   node1\n"
        "    Zone:       <unset>\n"
        "Events:         <none>\n")
    empty = {**obj, "ports": None, "endpoints": None}
    text = describe("EndpointSlice", empty, [], 0)
    assert "Ports: <unset>\n" in text and "Endpoints: <none>\n" in text
