"""CLI smoke tests: expose, dns resolve, curl and proxy rules as a user runs them."""

import json

import yaml


def test_expose_dry_run_prints_kubectls_service(k):
    k("create", "deployment", "web", "--image=nginx", "--port=80")
    out, _ = k("expose", "deployment", "web", "--port=80", "--target-port=8080", "--type=NodePort", "--dry-run", "-o", "yaml")
    assert yaml.safe_load(out) == {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"creationTimestamp": None, "labels": {"app": "web"}, "name": "web"},
        "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}], "selector": {"app": "web"}, "type": "NodePort"},
        "status": {"loadBalancer": {}}}
    out, _ = k("get", "svc", "-o", "name")
    assert out == "service/kubernetes\n"  # a client dry run writes nothing


def test_expose_refuses_what_kubectl_refuses(k):
    k("create", "deployment", "web", "--image=nginx")
    _, err = k("expose", "deployment", "web", code=1)
    assert err == "error: couldn't find port via --port flag or introspection\n"
    k("create", "job", "once", "--image=busybox")
    _, err = k("expose", "job", "once", "--port=80", code=1)
    assert err == "error: cannot expose a Job.batch\n"


def test_dns_curl_and_rules_end_to_end(k):
    k("create", "deployment", "web", "--image=nginx", "--replicas=2", "--port=80")
    out, _ = k("expose", "deployment", "web", "--port=80")
    assert out == "service/web exposed\n"
    k("advance", "5s")
    ip = json.loads(k("get", "svc", "web", "-o", "json")[0])["spec"]["clusterIP"]
    out, _ = k("dns", "resolve", "web", "-o", "json")
    assert json.loads(out)["answer"] == [{"name": "web.default.svc.cluster.local.", "type": "A", "data": ip, "ttl": 30}]
    out, _ = k("curl", "web", "-c", "4", "-o", "json")
    pods = [c["pod"] for c in json.loads(out)["connections"]]
    assert pods[:2] == pods[2:] and len(set(pods)) == 2
    _, err = k("dns", "resolve", "nope", code=1)
    out, _ = k("proxy", "rules", "--mode", "iptables")
    assert out.splitlines()[0].split() == ["NODE", "MODE", "SERVICE", "PORTS", "ENDPOINTS", "IPTABLES", "RULES"]
    _, err = k("curl", "nope", code=6)
    assert err == "curl: (6) Could not resolve host: nope\n"
