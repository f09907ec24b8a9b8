"""`kubectl get` tables: the server-side Table columns/cells and kubectl's human-readable printer.

Columns and cells follow `pkg/printers/internalversion/printers.go` (recent upstream): the server
always generates the wide cells (`GenerateOptions{Wide: true}`) and kubectl drops the
`priority: 1` columns unless `-o wide`. Kinds without a handler there (Role, ClusterRole,
LimitRange) get the apiserver's default table convertor (`NAME`, `CREATED AT` as RFC 3339 UTC);
kinds unknown to this module get kubectl's client-side default (`NAME`, `AGE`).

Public API:
- `column_definitions(rtype)` -> Table `columnDefinitions` (name/type/format/priority) for the wire.
- `row_cells(rtype, obj, now_unix)` -> all cells (wide included) as JSON values, for the wire.
- `columns(rtype, wide, show_labels, all_namespaces)` -> headers as kubectl prints them.
- `rows(rtype, objs, now_unix, wide, show_labels, all_namespaces)` -> printed cells (strings).
- `render(headers, rows)` -> text, aligned like kubectl (Go tabwriter: minwidth 6, padding 3).

Shared helpers other printers use: `tabwrite` (Go `text/tabwriter`), `format_labels`,
`selector_string`, `format_label_selector`, `parse_quantity`, `canonical_quantity`, `go_value`.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Callable

from log_tools.printers.age import age as _age
from log_tools.printers.age import human_duration, parse_timestamp, rfc3339, since

# ---------------------------------------------------------------------------------------------
# Go text/tabwriter (AlignLeft, no flags): cells are tab-terminated, the text after the last tab
# of a line is not part of any column; a column block is a run of consecutive lines that have a
# cell in that column; width = max(cell + padding, minwidth).


def tabwrite(text: str, minwidth: int = 0, padding: int = 1, padchar: str = " ") -> str:
    lines_raw = text.split("\n")
    trailing = lines_raw.pop()  # text after the last newline (usually "")
    lines = [ln.split("\t") for ln in lines_raw]
    out: list[str] = []
    widths: list[int] = []

    def write_lines(line0: int, line1: int) -> None:
        for i in range(line0, line1):
            cells = lines[i]
            parts = []
            for j, c in enumerate(cells):
                parts.append(c)
                if j < len(widths) and j < len(cells) - 1:
                    parts.append(padchar * (widths[j] - len(c)))
            out.append("".join(parts))

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1:
                if column >= len(lines[this]) - 1:
                    break
                w = len(lines[this][column]) + padding
                if w > width:
                    width = w
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    fmt(0, len(lines))
    result = "\n".join(out)
    if lines:
        result += "\n"
    return result + trailing


def render(headers: list[str], rows: list[list[str]]) -> str:
    """kubectl's human-readable table: tab-separated cells through tabwriter(6, 4, 3, ' ')."""
    text = "".join("\t".join(str(c) for c in r) + "\n" for r in [list(headers), *rows])
    return tabwrite(text, minwidth=6, padding=3)


# ---------------------------------------------------------------------------------------------
# labels and selectors (k8s.io/apimachinery/pkg/labels, metav1.FormatLabelSelector)


def format_labels(labels: dict | None) -> str:
    """`labels.FormatLabels`: sorted `k=v` joined by commas, `<none>` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


class SelectorError(ValueError):
    pass


def _requirement_string(key: str, op: str, values: list[str]) -> str:
    if op == "DoesNotExist":
        return "!" + key
    if op == "Exists":
        return key
    if op == "Equals":
        return f"{key}={values[0]}"
    word = " in " if op == "In" else " notin "
    return f"{key}{word}({','.join(sorted(values))})"


def selector_string(selector: dict | None) -> str:
    """`metav1.LabelSelectorAsSelector(sel).String()`: "" for nil or empty; raises SelectorError."""
    if not selector:
        return ""
    reqs: list[tuple[str, str, list[str]]] = []
    for k, v in (selector.get("matchLabels") or {}).items():
        reqs.append((k, "Equals", [str(v)]))
    for expr in selector.get("matchExpressions") or []:
        op = expr.get("operator")
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise SelectorError(f'"{op}" is not a valid label selector operator')
        reqs.append((expr.get("key", ""), op, [str(x) for x in expr.get("values") or []]))
    reqs.sort(key=lambda r: r[0])
    return ",".join(_requirement_string(*r) for r in reqs)


def format_label_selector(selector: dict | None) -> str:
    """`metav1.FormatLabelSelector`: like selector_string but `<none>` when empty, `<error>` on error."""
    try:
        s = selector_string(selector)
    except SelectorError:
        return "<error>"
    return s or "<none>"


# ---------------------------------------------------------------------------------------------
# resource.Quantity (parse + canonical String())

_DEC_SUFFIX = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_BY_EXP = {v: k for k, v in _DEC_SUFFIX.items()}
_BIN_SUFFIX = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_BIN_BY_EXP = {v: k for k, v in _BIN_SUFFIX.items()}
_QTY = re.compile(r"^([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(.*)$")


def parse_quantity(s: Any) -> tuple[Fraction, str]:
    """`resource.ParseQuantity` -> (exact value, format). Values finer than 1n round up to 1n."""
    if isinstance(s, bool):
        raise ValueError(f"quantities must match the regular expression: {s!r}")
    if isinstance(s, (int, float)):
        s = repr(s) if isinstance(s, float) else str(s)
    m = _QTY.match(str(s).strip())
    if not m:
        raise ValueError(f"quantities must match the regular expression: {s!r}")
    sign, number, suffix = m.groups()
    value = Fraction(number)
    if suffix in _BIN_SUFFIX:
        value *= 1024 ** _BIN_SUFFIX[suffix]
        fmt = "BinarySI"
    elif suffix in _DEC_SUFFIX:
        value *= Fraction(10) ** _DEC_SUFFIX[suffix]
        fmt = "DecimalSI"
    elif re.fullmatch(r"[eE][+-]?[0-9]+", suffix):
        value *= Fraction(10) ** int(suffix[1:])
        fmt = "DecimalExponent"
    else:
        raise ValueError(f"unable to parse quantity's suffix: {s!r}")
    nanos = value * 10**9
    if nanos.denominator != 1:
        value = Fraction(-((-nanos.numerator) // nanos.denominator), 10**9)
    if sign == "-":
        value = -value
    return value, fmt


def _remove_factors(n: int, base: int) -> tuple[int, int]:
    times = 0
    while n != 0 and n % base == 0:
        n //= base
        times += 1
    return n, times


def canonical_quantity(value: Fraction, fmt: str) -> str:
    """`Quantity.String()` (CanonicalizeBytes)."""
    if value == 0:
        return "0"
    if fmt == "BinarySI" and (-1024 < value < 1024 or value.denominator != 1):
        fmt = "DecimalSI"
    if fmt == "BinarySI":
        sign = "-" if value < 0 else ""
        amount, exp = _remove_factors(abs(int(value)), 1024)
        if exp in _BIN_BY_EXP or exp == 0:
            return f"{sign}{amount}{_BIN_BY_EXP.get(exp, '')}"
        return f"{sign}{amount * 1024 ** (exp - 6)}Ei"
    sign = "-" if value < 0 else ""
    v = abs(value)
    exp = 0
    while v.denominator != 1:
        v *= 10
        exp -= 1
    mantissa, times = _remove_factors(int(v), 10)
    exp += times
    r = exp % 3
    if r == 1:
        mantissa, exp = mantissa * 10, exp - 1
    elif r == 2:
        mantissa, exp = mantissa * 100, exp - 2
    if fmt == "DecimalExponent":
        return f"{sign}{mantissa}" + (f"e{exp}" if exp else "")
    if exp in _DEC_BY_EXP:
        return f"{sign}{mantissa}{_DEC_BY_EXP[exp]}"
    return f"{sign}{mantissa}e{exp}"


def quantity_string(s: Any) -> str:
    """Canonical form of a stored quantity string; unparsable input comes back unchanged."""
    if s is None:
        return "0"
    try:
        return canonical_quantity(*parse_quantity(s))
    except ValueError:
        return str(s)


# ---------------------------------------------------------------------------------------------
# Go %v of JSON values


def go_value(v: Any) -> str:
    """Go's `%v` of a decoded JSON value (unstructured content)."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return _go_float(v)
    if isinstance(v, list):
        return "[" + " ".join(go_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_value(v[k])}" for k in sorted(v)) + "]"
    return str(v)


def _go_float(v: float) -> str:
    """Go `%v` of a float64: strconv `g` with shortest digits (%e when exp < -4 or exp >= 6)."""
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        return "0"
    from decimal import Decimal

    sign, digits, exp = Decimal(repr(abs(v))).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    exp += len(digits) - len(ds)
    nd = len(ds)
    dp = nd + exp  # value = 0.ds * 10**dp
    x = dp - 1
    neg = "-" if v < 0 else ""
    if x < -4 or x >= 6:
        mant = ds[0] + ("." + ds[1:] if nd > 1 else "")
        return f"{neg}{mant}e{'+' if x >= 0 else '-'}{abs(x):02d}"
    if dp <= 0:
        return f"{neg}0.{'0' * -dp}{ds}"
    if dp >= nd:
        return f"{neg}{ds}{'0' * (dp - nd)}"
    return f"{neg}{ds[:dp]}.{ds[dp:]}"


def _cell_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    return str(v)


# ---------------------------------------------------------------------------------------------
# object access helpers


def _g(obj: Any, *path: str, default: Any = None) -> Any:
    cur = obj
    for p in path:
        if not isinstance(cur, dict):
            return default
        cur = cur.get(p)
        if cur is None:
            return default
    return cur


def _name(obj: dict) -> str:
    return _g(obj, "metadata", "name", default="")


def _created(obj: dict) -> str | None:
    return _g(obj, "metadata", "creationTimestamp")


def _int(v: Any) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def layout_container_cells(containers: list | None) -> tuple[str, str]:
    containers = containers or []
    names = ",".join(str(c.get("name", "")) for c in containers)
    images = ",".join(str(c.get("image", "")) for c in containers)
    return names, images


def _has_condition(conditions: list | None, ctype: str) -> bool:
    for c in conditions or []:
        if c.get("type") == ctype:
            return c.get("status") == "True"
    return False


def access_modes_string(modes: list | None) -> str:
    """`GetAccessModesAsString`."""
    modes = modes or []
    out = []
    for mode, short in (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")):
        if mode in modes:
            out.append(short)
    return ",".join(out)


def pv_class(obj: dict) -> str:
    ann = _g(obj, "metadata", "annotations", default={}) or {}
    if "volume.beta.kubernetes.io/storage-class" in ann:
        return ann["volume.beta.kubernetes.io/storage-class"]
    return _g(obj, "spec", "storageClassName", default="")


def find_node_roles(node: dict) -> list[str]:
    roles = set()
    for k, v in (_g(node, "metadata", "labels", default={}) or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            role = k[len("node-role.kubernetes.io/"):]
            if role:
                roles.add(role)
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return sorted(roles)


def controller_of(obj: dict) -> dict | None:
    for ref in _g(obj, "metadata", "ownerReferences", default=[]) or []:
        if ref.get("controller"):
            return ref
    return None


# ---------------------------------------------------------------------------------------------
# cells per kind (printers.go)


def _pod_cells(pod: dict, now: float) -> list:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    restarts = 0
    restartable_init_restarts = 0
    total = len(spec.get("containers") or [])
    ready = 0
    last_restart: float | None = None
    last_restartable_init_restart: float | None = None

    phase = status.get("phase") or ""
    reason = phase
    if status.get("reason"):
        reason = status["reason"]
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    for c in spec.get("initContainers") or []:
        if c.get("restartPolicy") == "Always":
            total += 1

    def restartable(name: str) -> bool:
        c = init_specs.get(name)
        return bool(c) and c.get("restartPolicy") == "Always"

    def later(a: float | None, ts: str | None) -> float | None:
        t = parse_timestamp(ts)
        if t is None:
            return a
        return t if a is None or a < t else a

    init_statuses = status.get("initContainerStatuses") or []
    initializing = False
    for i, cs in enumerate(init_statuses):
        restarts += _int(cs.get("restartCount"))
        last_term = _g(cs, "lastState", "terminated")
        if isinstance(last_term, dict):
            last_restart = later(last_restart, last_term.get("finishedAt"))
        if restartable(cs.get("name")):
            restartable_init_restarts += _int(cs.get("restartCount"))
            if isinstance(last_term, dict):
                last_restartable_init_restart = later(last_restartable_init_restart, last_term.get("finishedAt"))
        state = cs.get("state") or {}
        term = state.get("terminated")
        waiting = state.get("waiting")
        if isinstance(term, dict) and _int(term.get("exitCode")) == 0:
            continue
        if restartable(cs.get("name")) and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if isinstance(term, dict):
            if not term.get("reason"):
                if _int(term.get("signal")) != 0:
                    reason = f"Init:Signal:{_int(term.get('signal'))}"
                else:
                    reason = f"Init:ExitCode:{_int(term.get('exitCode'))}"
            else:
                reason = "Init:" + term["reason"]
            initializing = True
        elif isinstance(waiting, dict) and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + waiting["reason"]
            initializing = True
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
            initializing = True
        break

    initialized = _has_condition(status.get("conditions"), "Initialized")
    if not initializing or initialized:
        restarts = restartable_init_restarts
        last_restart = last_restartable_init_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += _int(cs.get("restartCount"))
            last_term = _g(cs, "lastState", "terminated")
            if isinstance(last_term, dict):
                last_restart = later(last_restart, last_term.get("finishedAt"))
            state = cs.get("state") or {}
            waiting, term, running = state.get("waiting"), state.get("terminated"), state.get("running")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = waiting["reason"]
            elif isinstance(term, dict) and term.get("reason"):
                reason = term["reason"]
            elif isinstance(term, dict):
                if _int(term.get("signal")) != 0:
                    reason = f"Signal:{_int(term.get('signal'))}"
                else:
                    reason = f"ExitCode:{_int(term.get('exitCode'))}"
            elif cs.get("ready") and isinstance(running, dict):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_condition(status.get("conditions"), "Ready") else "NotReady"

    deleting = bool(_g(pod, "metadata", "deletionTimestamp"))
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Failed", "Succeeded"):
        reason = "Terminating"

    restarts_str = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_str = f"{restarts} ({human_duration(now - last_restart)} ago)"

    pod_ips = status.get("podIPs") or []
    pod_ip = (pod_ips[0].get("ip") if pod_ips else "") or "<none>"
    node_name = spec.get("nodeName") or "<none>"
    nominated = status.get("nominatedNodeName") or "<none>"
    gates = spec.get("readinessGates") or []
    readiness_gates = "<none>"
    if gates:
        true_conditions = 0
        for gate in gates:
            for cond in status.get("conditions") or []:
                if cond.get("type") == gate.get("conditionType"):
                    if cond.get("status") == "True":
                        true_conditions += 1
                    break
        readiness_gates = f"{true_conditions}/{len(gates)}"
    return [
        _name(pod), f"{ready}/{total}", reason, restarts_str, _age(_created(pod), now),
        pod_ip, node_name, nominated, readiness_gates,
    ]


def _rc_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = layout_container_cells(_g(spec, "template", "spec", "containers"))
    return [
        _name(obj), _int(spec.get("replicas")), _int(status.get("replicas")), _int(status.get("readyReplicas")),
        _age(_created(obj), now), names, images, format_labels(spec.get("selector")),
    ]


def _rs_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = layout_container_cells(_g(spec, "template", "spec", "containers"))
    return [
        _name(obj), _int(spec.get("replicas")), _int(status.get("replicas")), _int(status.get("readyReplicas")),
        _age(_created(obj), now), names, images, format_label_selector(spec.get("selector")),
    ]


def _deployment_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    try:
        selector = selector_string(spec.get("selector"))
    except SelectorError:
        selector = "<invalid>"
    names, images = layout_container_cells(_g(spec, "template", "spec", "containers"))
    return [
        _name(obj), f"{_int(status.get('readyReplicas'))}/{_int(spec.get('replicas'))}",
        _int(status.get("updatedReplicas")), _int(status.get("availableReplicas")), _age(_created(obj), now),
        names, images, selector,
    ]


def _daemonset_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = layout_container_cells(_g(spec, "template", "spec", "containers"))
    return [
        _name(obj), _int(status.get("desiredNumberScheduled")), _int(status.get("currentNumberScheduled")),
        _int(status.get("numberReady")), _int(status.get("updatedNumberScheduled")), _int(status.get("numberAvailable")),
        format_labels(_g(spec, "template", "spec", "nodeSelector")), _age(_created(obj), now),
        names, images, format_label_selector(spec.get("selector")),
    ]


def _statefulset_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = layout_container_cells(_g(spec, "template", "spec", "containers"))
    return [
        _name(obj), f"{_int(status.get('readyReplicas'))}/{_int(spec.get('replicas'))}", _age(_created(obj), now),
        names, images,
    ]


def _job_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    succeeded = _int(status.get("succeeded"))
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{_int(spec['completions'])}"
    else:
        parallelism = _int(spec.get("parallelism"))
        completions = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    start = parse_timestamp(status.get("startTime"))
    done = parse_timestamp(status.get("completionTime"))
    if start is None:
        job_duration = ""
    elif done is None:
        job_duration = human_duration(now - start)
    else:
        job_duration = human_duration(done - start)
    conditions = status.get("conditions")
    if _has_condition(conditions, "Complete"):
        job_status = "Complete"
    elif _has_condition(conditions, "Failed"):
        job_status = "Failed"
    elif _g(obj, "metadata", "deletionTimestamp"):
        job_status = "Terminating"
    elif _has_condition(conditions, "Suspended"):
        job_status = "Suspended"
    elif _has_condition(conditions, "FailureTarget"):
        job_status = "FailureTarget"
    else:
        job_status = "Running"
    names, images = layout_container_cells(_g(spec, "template", "spec", "containers"))
    return [
        _name(obj), job_status, completions, job_duration, _age(_created(obj), now),
        names, images, format_label_selector(spec.get("selector")),
    ]


def _print_bool_ptr(v: Any) -> str:
    if v is None:
        return "<unset>"
    return "True" if v else "False"


def _cronjob_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    last = status.get("lastScheduleTime")
    last_schedule = since(last, now) if last else "<none>"
    job_spec = _g(spec, "jobTemplate", "spec", default={}) or {}
    names, images = layout_container_cells(_g(job_spec, "template", "spec", "containers"))
    return [
        _name(obj), spec.get("schedule", ""), spec.get("timeZone") or "<none>", _print_bool_ptr(spec.get("suspend")),
        len(status.get("active") or []), last_schedule, _age(_created(obj), now),
        names, images, format_label_selector(job_spec.get("selector")),
    ]


def _lb_status_string(status: dict, wide: bool) -> str:
    result = set()
    for ing in _g(status, "loadBalancer", "ingress", default=[]) or []:
        if ing.get("ip"):
            result.add(ing["ip"])
        elif ing.get("hostname"):
            result.add(ing["hostname"])
    r = ",".join(sorted(result))
    if not wide and len(r) > 16:
        r = r[:13] + "..."
    return r


def _service_external_ip(svc: dict, wide: bool) -> str:
    spec = svc.get("spec") or {}
    t = spec.get("type")
    external = spec.get("externalIPs") or []
    if t in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if t == "LoadBalancer":
        lb = _lb_status_string(svc.get("status") or {}, wide)
        if external:
            results = (lb.split(",") if lb else []) + list(external)
            return ",".join(results)
        return lb or "<pending>"
    if t == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def make_port_string(ports: list | None) -> str:
    pieces = []
    for p in ports or []:
        if _int(p.get("nodePort")) > 0:
            pieces.append(f"{_int(p.get('port'))}:{_int(p.get('nodePort'))}/{p.get('protocol', '')}")
        else:
            pieces.append(f"{_int(p.get('port'))}/{p.get('protocol', '')}")
    return ",".join(pieces)


def _service_cells(obj: dict, now: float) -> list:
    spec = obj.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    internal_ip = cluster_ips[0] if cluster_ips else "<none>"
    ports = make_port_string(spec.get("ports")) or "<none>"
    # The server generates cells with Wide=true, so the EXTERNAL-IP cell is never clipped there.
    return [
        _name(obj), spec.get("type", ""), internal_ip, _service_external_ip(obj, True), ports, _age(_created(obj), now),
        format_labels(spec.get("selector")),
    ]


def _join_host_port(host: str, port: Any) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def format_endpoints(endpoints: dict, ports: set | None) -> str:
    """printers.go `formatEndpoints` (ports=None: all ports)."""
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return "<none>"
    items: list[str] = []
    max_n, more, count = 3, False, 0
    for ss in subsets:
        addresses = ss.get("addresses") or []
        if not ss.get("ports"):
            count += len(addresses)
            for a in addresses:
                if len(items) == max_n:
                    more = True
                    break
                items.append(a.get("ip", ""))
            continue
        for port in ss.get("ports") or []:
            if ports is None or port.get("name", "") in ports:
                count += len(addresses)
                for a in addresses:
                    if len(items) == max_n:
                        more = True
                        break
                    items.append(_join_host_port(a.get("ip", ""), _int(port.get("port"))))
    ret = ",".join(items)
    if more:
        return f"{ret} + {count - max_n} more..."
    return ret


def _endpoints_cells(obj: dict, now: float) -> list:
    return [_name(obj), format_endpoints(obj, None), _age(_created(obj), now)]


def _list_with_more(items: list[str], more: bool, count: int, max_n: int) -> str:
    ret = ",".join(items)
    if more:
        return f"{ret} + {count - max_n} more..."
    return ret or "<unset>"


def _endpointslice_cells(obj: dict, now: float) -> list:
    port_items: list[str] = []
    more, count = False, 0
    for port in obj.get("ports") or []:
        if len(port_items) < 3:
            if port.get("port") is not None:
                port_items.append(str(_int(port["port"])))
            elif port.get("name") is not None:
                port_items.append(port["name"])
            else:
                port_items.append("*")
        elif len(port_items) == 3:
            more = True
        count += 1
    ports = _list_with_more(port_items, more, count, 3)
    ep_items: list[str] = []
    more, count = False, 0
    for ep in obj.get("endpoints") or []:
        for addr in ep.get("addresses") or []:
            if len(ep_items) < 3:
                ep_items.append(addr)
            elif len(ep_items) == 3:
                more = True
            count += 1
    endpoints = _list_with_more(ep_items, more, count, 3)
    return [_name(obj), obj.get("addressType", ""), ports, endpoints, _age(_created(obj), now)]


def _node_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    states = []
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready":
            states = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not states:
        states = ["Unknown"]
    if spec.get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = ",".join(find_node_roles(obj)) or "<none>"
    info = status.get("nodeInfo") or {}

    def address(kind: str) -> str:
        for a in status.get("addresses") or []:
            if a.get("type") == kind:
                return a.get("address", "")
        return "<none>"

    return [
        _name(obj), ",".join(states), roles, _age(_created(obj), now), info.get("kubeletVersion", ""),
        address("InternalIP"), address("ExternalIP"), info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>", info.get("containerRuntimeVersion") or "<unknown>",
    ]


def format_event_source(source: dict | None, reporting_controller: str = "", reporting_instance: str = "") -> str:
    source = source or {}
    component = source.get("component") or reporting_controller or ""
    instance = source.get("host") or reporting_instance or ""
    return component if not instance else f"{component}, {instance}"


def _event_cells(obj: dict, now: float) -> list:
    first = obj.get("firstTimestamp")
    first_seen = since(first, now) if first else since(obj.get("eventTime"), now)
    last = obj.get("lastTimestamp")
    last_seen = since(last, now) if last else first_seen
    count = _int(obj.get("count"))
    series = obj.get("series")
    if isinstance(series, dict):
        last_seen = since(series.get("lastObservedTime"), now)
        count = _int(series.get("count"))
    elif count == 0:
        count = 1
    involved = obj.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    return [
        last_seen, obj.get("type", ""), obj.get("reason", ""), target, involved.get("fieldPath", ""),
        format_event_source(obj.get("source"), obj.get("reportingComponent") or obj.get("reportingController", ""),
                            obj.get("reportingInstance", "")),
        str(obj.get("message", "")).strip(), first_seen, count, _name(obj),
    ]


def _namespace_cells(obj: dict, now: float) -> list:
    return [_name(obj), _g(obj, "status", "phase", default=""), _age(_created(obj), now)]


def _secret_cells(obj: dict, now: float) -> list:
    return [_name(obj), obj.get("type", ""), len(obj.get("data") or {}), _age(_created(obj), now)]


def _serviceaccount_cells(obj: dict, now: float) -> list:
    return [_name(obj), len(obj.get("secrets") or []), _age(_created(obj), now)]


def _configmap_cells(obj: dict, now: float) -> list:
    return [_name(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), _age(_created(obj), now)]


def _pv_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    claim = ""
    if isinstance(spec.get("claimRef"), dict):
        claim = f"{spec['claimRef'].get('namespace', '')}/{spec['claimRef'].get('name', '')}"
    phase = "Terminating" if _g(obj, "metadata", "deletionTimestamp") else status.get("phase", "")
    return [
        _name(obj), quantity_string((spec.get("capacity") or {}).get("storage")), access_modes_string(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""), phase, claim, pv_class(obj),
        spec.get("volumeAttributesClassName") or "<unset>", status.get("reason", ""), _age(_created(obj), now),
        spec.get("volumeMode") or "<unset>",
    ]


def _pvc_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    phase = "Terminating" if _g(obj, "metadata", "deletionTimestamp") else status.get("phase", "")
    capacity, modes = "", ""
    if spec.get("volumeName"):
        modes = access_modes_string(status.get("accessModes"))
        capacity = quantity_string((status.get("capacity") or {}).get("storage"))
    return [
        _name(obj), phase, spec.get("volumeName", ""), capacity, modes, pv_class(obj),
        spec.get("volumeAttributesClassName") or "<unset>", _age(_created(obj), now), spec.get("volumeMode") or "<unset>",
    ]


def _storageclass_cells(obj: dict, now: float) -> list:
    ann = _g(obj, "metadata", "annotations", default={}) or {}
    name = _name(obj)
    if ann.get("storageclass.kubernetes.io/is-default-class") == "true" or ann.get(
        "storageclass.beta.kubernetes.io/is-default-class"
    ) == "true":
        name += " (default)"
    return [
        name, obj.get("provisioner", ""), obj.get("reclaimPolicy") or "Delete", obj.get("volumeBindingMode") or "Immediate",
        bool(obj.get("allowVolumeExpansion") or False), _age(_created(obj), now),
    ]


def _hpa_metrics(specs: list | None, statuses: list | None) -> str:
    specs, statuses = specs or [], statuses or []
    if not specs:
        return "<none>"
    items: list[str] = []

    def st(i: int, key: str) -> dict | None:
        if len(statuses) > i and isinstance(statuses[i].get(key), dict):
            return statuses[i][key]
        return None

    for i, spec in enumerate(specs):
        t = spec.get("type")
        if t == "External":
            target = _g(spec, "external", "target", default={})
            cur = st(i, "external")
            if target.get("averageValue") is not None:
                current = quantity_string(_g(cur, "current", "averageValue")) if cur and _g(cur, "current", "averageValue") is not None else "<unknown>"
                items.append(f"{current}/{quantity_string(target['averageValue'])} (avg)")
            else:
                current = quantity_string(_g(cur, "current", "value")) if cur else "<unknown>"
                items.append(f"{current}/{quantity_string(target.get('value'))}")
        elif t == "Pods":
            cur = st(i, "pods")
            current = quantity_string(_g(cur, "current", "averageValue")) if cur else "<unknown>"
            items.append(f"{current}/{quantity_string(_g(spec, 'pods', 'target', 'averageValue'))}")
        elif t == "Object":
            target = _g(spec, "object", "target", default={})
            cur = st(i, "object")
            if target.get("averageValue") is not None:
                current = quantity_string(_g(cur, "current", "averageValue")) if cur and _g(cur, "current", "averageValue") is not None else "<unknown>"
                items.append(f"{current}/{quantity_string(target['averageValue'])} (avg)")
            else:
                current = quantity_string(_g(cur, "current", "value")) if cur else "<unknown>"
                items.append(f"{current}/{quantity_string(target.get('value'))}")
        elif t in ("Resource", "ContainerResource"):
            key = "resource" if t == "Resource" else "containerResource"
            src = spec.get(key) or {}
            target = src.get("target") or {}
            cur = st(i, key)
            if target.get("averageValue") is not None:
                current = quantity_string(_g(cur, "current", "averageValue")) if cur else "<unknown>"
                items.append(f"{src.get('name', '')}: {current}/{quantity_string(target['averageValue'])}")
            else:
                util = _g(cur, "current", "averageUtilization") if cur else None
                current = f"{_int(util)}%" if util is not None else "<unknown>"
                goal = f"{_int(target['averageUtilization'])}%" if target.get("averageUtilization") is not None else "<auto>"
                items.append(f"{src.get('name', '')}: {current}/{goal}")
        else:
            items.append("<unknown type>")
    count = len(items)
    if count > 2:
        return ", ".join(items[:2]) + f" + {count - 2} more..."
    return ", ".join(items)


def _hpa_cells(obj: dict, now: float) -> list:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_pods = str(_int(spec["minReplicas"])) if spec.get("minReplicas") is not None else "<unset>"
    metrics = spec.get("metrics")
    if metrics is None and spec.get("targetCPUUtilizationPercentage") is not None:  # autoscaling/v1 shape
        metrics = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": spec["targetCPUUtilizationPercentage"]}}}]
        cur = status.get("currentCPUUtilizationPercentage")
        statuses = [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": cur}}}] if cur is not None else []
    else:
        statuses = status.get("currentMetrics")
    return [
        _name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", _hpa_metrics(metrics, statuses), min_pods,
        _int(spec.get("maxReplicas")), _int(status.get("currentReplicas")), _age(_created(obj), now),
    ]


def subjects_strings(subjects: list | None) -> tuple[list[str], list[str], list[str], list[str]]:
    users, groups, sas, others = [], [], [], []
    for s in subjects or []:
        kind = s.get("kind")
        if kind == "ServiceAccount":
            sas.append(f"{s.get('namespace', '')}/{s.get('name', '')}")
        elif kind == "User":
            users.append(s.get("name", ""))
        elif kind == "Group":
            groups.append(s.get("name", ""))
        else:
            others.append(f"{kind}/{s.get('namespace', '')}/{s.get('name', '')}")
    return users, groups, sas, others


def _binding_cells(obj: dict, now: float) -> list:
    ref = obj.get("roleRef") or {}
    users, groups, sas, _ = subjects_strings(obj.get("subjects"))
    return [
        _name(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", _age(_created(obj), now),
        ", ".join(users), ", ".join(groups), ", ".join(sas),
    ]


def _lease_cells(obj: dict, now: float) -> list:
    return [_name(obj), _g(obj, "spec", "holderIdentity", default=""), _age(_created(obj), now)]


def _controllerrevision_cells(obj: dict, now: float) -> list:
    ref = controller_of(obj)
    controller = "<none>"
    if ref is not None:
        group = ref.get("apiVersion", "").rpartition("/")[0]
        kind = ref.get("kind", "")
        group_kind = f"{kind}.{group}" if group else kind
        controller = f"{group_kind.lower()}/{ref.get('name', '')}" if group_kind else ref.get("name", "")
    return [_name(obj), controller, _int(obj.get("revision")), _age(_created(obj), now)]


def _resourcequota_cells(obj: dict, now: float) -> list:
    hard = _g(obj, "status", "hard", default={}) or {}
    used = _g(obj, "status", "used", default={}) or {}
    requests, limits = [], []
    for res in sorted(hard):
        text = f"{res}: {quantity_string(used.get(res, '0'))}/{quantity_string(hard[res])}"
        pieces = res.split(".")
        (limits if len(pieces) > 1 and pieces[0] == "limits" else requests).append(text)
    return [_name(obj), ", ".join(requests), ", ".join(limits), _age(_created(obj), now)]


def _podtemplate_cells(obj: dict, now: float) -> list:
    names, images = layout_container_cells(_g(obj, "template", "spec", "containers"))
    return [_name(obj), names, images, format_labels(_g(obj, "template", "metadata", "labels"))]


def _default_cells(obj: dict, now: float) -> list:
    return [_name(obj), rfc3339(_created(obj))]


def _client_default_cells(obj: dict, now: float) -> list:
    return [_name(obj), _age(_created(obj), now)]


# ---------------------------------------------------------------------------------------------
# column definitions: (name, type, priority, format)

_NAME = ("Name", "string", 0, "name")
_AGE = ("Age", "string", 0, "")
_CONTAINERS = ("Containers", "string", 1, "")
_IMAGES = ("Images", "string", 1, "")
_SELECTOR = ("Selector", "string", 1, "")

Column = tuple[str, str, int, str]

_TABLES: dict[str, tuple[list[Column], Callable[[dict, float], list]]] = {
    "Pod": ([
        _NAME, ("Ready", "string", 0, ""), ("Status", "string", 0, ""), ("Restarts", "string", 0, ""), _AGE,
        ("IP", "string", 1, ""), ("Node", "string", 1, ""), ("Nominated Node", "string", 1, ""),
        ("Readiness Gates", "string", 1, ""),
    ], _pod_cells),
    "PodTemplate": ([
        _NAME, ("Containers", "string", 0, ""), ("Images", "string", 0, ""), ("Pod Labels", "string", 0, ""),
    ], _podtemplate_cells),
    "ReplicationController": ([
        _NAME, ("Desired", "integer", 0, ""), ("Current", "integer", 0, ""), ("Ready", "integer", 0, ""), _AGE,
        _CONTAINERS, _IMAGES, _SELECTOR,
    ], _rc_cells),
    "ReplicaSet": ([
        _NAME, ("Desired", "integer", 0, ""), ("Current", "integer", 0, ""), ("Ready", "integer", 0, ""), _AGE,
        _CONTAINERS, _IMAGES, _SELECTOR,
    ], _rs_cells),
    "DaemonSet": ([
        _NAME, ("Desired", "integer", 0, ""), ("Current", "integer", 0, ""), ("Ready", "integer", 0, ""),
        ("Up-to-date", "integer", 0, ""), ("Available", "integer", 0, ""), ("Node Selector", "string", 0, ""), _AGE,
        _CONTAINERS, _IMAGES, _SELECTOR,
    ], _daemonset_cells),
    "Job": ([
        _NAME, ("Status", "string", 0, ""), ("Completions", "string", 0, ""), ("Duration", "string", 0, ""), _AGE,
        _CONTAINERS, _IMAGES, _SELECTOR,
    ], _job_cells),
    "CronJob": ([
        _NAME, ("Schedule", "string", 0, ""), ("Timezone", "string", 0, ""), ("Suspend", "boolean", 0, ""),
        ("Active", "integer", 0, ""), ("Last Schedule", "string", 0, ""), _AGE, _CONTAINERS, _IMAGES, _SELECTOR,
    ], _cronjob_cells),
    "Service": ([
        _NAME, ("Type", "string", 0, ""), ("Cluster-IP", "string", 0, ""), ("External-IP", "string", 0, ""),
        ("Port(s)", "string", 0, ""), _AGE, _SELECTOR,
    ], _service_cells),
    "StatefulSet": ([_NAME, ("Ready", "string", 0, ""), _AGE, _CONTAINERS, _IMAGES], _statefulset_cells),
    "Endpoints": ([_NAME, ("Endpoints", "string", 0, ""), _AGE], _endpoints_cells),
    "EndpointSlice": ([
        _NAME, ("AddressType", "string", 0, ""), ("Ports", "string", 0, ""), ("Endpoints", "string", 0, ""), _AGE,
    ], _endpointslice_cells),
    "Node": ([
        _NAME, ("Status", "string", 0, ""), ("Roles", "string", 0, ""), _AGE, ("Version", "string", 0, ""),
        ("Internal-IP", "string", 1, ""), ("External-IP", "string", 1, ""), ("OS-Image", "string", 1, ""),
        ("Kernel-Version", "string", 1, ""), ("Container-Runtime", "string", 1, ""),
    ], _node_cells),
    "Event": ([
        ("Last Seen", "string", 0, ""), ("Type", "string", 0, ""), ("Reason", "string", 0, ""),
        ("Object", "string", 0, ""), ("Subobject", "string", 1, ""), ("Source", "string", 1, ""),
        ("Message", "string", 0, ""), ("First Seen", "string", 1, ""), ("Count", "string", 1, ""),
        ("Name", "string", 1, "name"),
    ], _event_cells),
    "Namespace": ([_NAME, ("Status", "string", 0, ""), _AGE], _namespace_cells),
    "Secret": ([_NAME, ("Type", "string", 0, ""), ("Data", "string", 0, ""), _AGE], _secret_cells),
    "ServiceAccount": ([_NAME, ("Secrets", "string", 0, ""), _AGE], _serviceaccount_cells),
    "PersistentVolume": ([
        _NAME, ("Capacity", "string", 0, ""), ("Access Modes", "string", 0, ""), ("Reclaim Policy", "string", 0, ""),
        ("Status", "string", 0, ""), ("Claim", "string", 0, ""), ("StorageClass", "string", 0, ""),
        ("VolumeAttributesClass", "string", 0, ""), ("Reason", "string", 0, ""), _AGE,
        ("VolumeMode", "string", 1, ""),
    ], _pv_cells),
    "PersistentVolumeClaim": ([
        _NAME, ("Status", "string", 0, ""), ("Volume", "string", 0, ""), ("Capacity", "string", 0, ""),
        ("Access Modes", "string", 0, ""), ("StorageClass", "string", 0, ""), ("VolumeAttributesClass", "string", 0, ""),
        _AGE, ("VolumeMode", "string", 1, ""),
    ], _pvc_cells),
    "Deployment": ([
        _NAME, ("Ready", "string", 0, ""), ("Up-to-date", "string", 0, ""), ("Available", "string", 0, ""), _AGE,
        _CONTAINERS, _IMAGES, _SELECTOR,
    ], _deployment_cells),
    "HorizontalPodAutoscaler": ([
        _NAME, ("Reference", "string", 0, ""), ("Targets", "string", 0, ""), ("MinPods", "string", 0, ""),
        ("MaxPods", "string", 0, ""), ("Replicas", "string", 0, ""), _AGE,
    ], _hpa_cells),
    "ConfigMap": ([_NAME, ("Data", "string", 0, ""), _AGE], _configmap_cells),
    "RoleBinding": ([
        _NAME, ("Role", "string", 0, ""), _AGE, ("Users", "string", 1, ""), ("Groups", "string", 1, ""),
        ("ServiceAccounts", "string", 1, ""),
    ], _binding_cells),
    "ClusterRoleBinding": ([
        _NAME, ("Role", "string", 0, ""), _AGE, ("Users", "string", 1, ""), ("Groups", "string", 1, ""),
        ("ServiceAccounts", "string", 1, ""),
    ], _binding_cells),
    "Lease": ([_NAME, ("Holder", "string", 0, ""), _AGE], _lease_cells),
    "StorageClass": ([
        _NAME, ("Provisioner", "string", 0, ""), ("ReclaimPolicy", "string", 0, ""),
        ("VolumeBindingMode", "string", 0, ""), ("AllowVolumeExpansion", "string", 0, ""), _AGE,
    ], _storageclass_cells),
    "ControllerRevision": ([
        _NAME, ("Controller", "string", 0, ""), ("Revision", "string", 0, ""), _AGE,
    ], _controllerrevision_cells),
    "ResourceQuota": ([
        _NAME, ("Request", "string", 0, ""), ("Limit", "string", 0, ""), _AGE,
    ], _resourcequota_cells),
}

# Served kinds with no printers.go handler: the apiserver's default table convertor.
_DEFAULT_CONVERTOR_KINDS = frozenset({"Role", "ClusterRole", "LimitRange"})
_DEFAULT_TABLE: tuple[list[Column], Callable[[dict, float], list]] = (
    [_NAME, ("Created At", "date", 0, "")], _default_cells,
)
# Anything else: kubectl's client-side default printer for a plain list.
_CLIENT_DEFAULT_TABLE: tuple[list[Column], Callable[[dict, float], list]] = ([_NAME, _AGE], _client_default_cells)


def _kind(rtype: Any) -> str:
    kind = getattr(rtype, "kind", None)
    if isinstance(kind, str):
        return kind
    name = str(rtype)
    if name in _TABLES or name in _DEFAULT_CONVERTOR_KINDS:
        return name
    try:
        from engine.registry import resolve

        return resolve(name).kind
    except Exception:  # noqa: BLE001 - unknown names fall back to the generic printer
        return name


def _namespaced(rtype: Any, kind: str) -> bool:
    namespaced = getattr(rtype, "namespaced", None)
    if isinstance(namespaced, bool):
        return namespaced
    try:
        from engine.registry import BY_KIND

        t = BY_KIND.get(kind)
        return True if t is None else t.namespaced
    except Exception:  # noqa: BLE001
        return True


def _table(kind: str) -> tuple[list[Column], Callable[[dict, float], list]]:
    if kind in _TABLES:
        return _TABLES[kind]
    if kind in _DEFAULT_CONVERTOR_KINDS:
        return _DEFAULT_TABLE
    return _CLIENT_DEFAULT_TABLE


def column_definitions(rtype: Any) -> list[dict]:
    """The Table `columnDefinitions` the API server sends for this type."""
    cols, _ = _table(_kind(rtype))
    out = []
    for name, typ, priority, fmt in cols:
        d: dict[str, Any] = {"name": name, "type": typ}
        if fmt:
            d["format"] = fmt
        d["priority"] = priority
        out.append(d)
    return out


def row_cells(rtype: Any, obj: dict, now_unix: float) -> list:
    """All cells of one Table row (wide cells included), as JSON values (str/int/bool)."""
    _, fn = _table(_kind(rtype))
    return fn(obj, now_unix)


def columns(rtype: Any, wide: bool = False, show_labels: bool = False, all_namespaces: bool = False) -> list[str]:
    """Headers as kubectl prints them (upper-cased, NAMESPACE first with -A, LABELS last)."""
    kind = _kind(rtype)
    cols, _ = _table(kind)
    headers = [name.upper() for name, _, priority, _ in cols if wide or priority == 0]
    if all_namespaces and _namespaced(rtype, kind):
        headers.insert(0, "NAMESPACE")
    if show_labels:
        headers.append("LABELS")
    return headers


def rows(
    rtype: Any,
    objs: list[dict],
    now_unix: float,
    wide: bool = False,
    show_labels: bool = False,
    all_namespaces: bool = False,
) -> list[list[str]]:
    """Printed rows, cell for cell under `columns(...)` with the same flags."""
    kind = _kind(rtype)
    cols, fn = _table(kind)
    with_ns = all_namespaces and _namespaced(rtype, kind)
    out = []
    for obj in objs:
        cells = fn(obj, now_unix)
        printed = [_cell_str(c) for c, col in zip(cells, cols) if wide or col[2] == 0]
        if with_ns:
            printed.insert(0, _g(obj, "metadata", "namespace", default=""))
        if show_labels:
            printed.append(format_labels(_g(obj, "metadata", "labels")))
        out.append(printed)
    return out
