"""One sync of one HPA: upstream's `reconcileAutoscaler` and `computeReplicasForMetrics`
(`pkg/controller/podautoscaler/horizontal.go`), deciding requests instead of making calls.

Order of a sync: read the target's Scale (AbleToScale), record the first recommendation, then
one of: scaling disabled (target at 0), out of [min, max] (clamp), or the metrics' proposal
normalized (stabilization and limits). A rescale is an `update` of the target's `scale`
subresource, a `SuccessfulRescale` event and `lastScaleTime`. The status is written only when it
changed; the remembered recommendations (`history.py`) only when they changed.

The decided requests go out in this order: the scale update, the events, the history annotation
(merge patch of the HPA), the status (`UpdateStatus`). A refused scale update cannot be seen
from here (decide is pure, and upstream's FailedRescale path needs the answer); the next sync,
15 s later, reads the target again.
"""

from __future__ import annotations

from fractions import Fraction

from engine.clock import rfc3339
from engine.controllers.hpa import history as hist
from engine.controllers.hpa import metrics as sim_metrics
from engine.controllers.hpa import normalize, status as st
from engine.controllers.hpa.convert import is_v1_shape, v1_spec_to_v2, v1_status_to_v2
from engine.controllers.hpa.replica_calculator import (
    MetricError, milli_value, object_metric_replicas, per_pod_replicas, plain_metric_replicas, resource_replicas,
)
from engine.errors import StatusError
from engine.model.quantity import DECIMAL_SI, format_quantity
from engine.model.selectors import Selector, parse_label_selector, selector_from_label_selector
from engine.pipeline.identity import UserInfo
from engine.records import Request
from engine.registry import BY_KIND, ResourceType
from engine.view import View
from reducers.clone import clone
from reducers.storage import to_scale

SCALE_ERROR_PREFIX = "the HPA controller was unable to get the target's current scale: "


class _TargetError(Exception):
    pass


class _MetricFailure(Exception):
    def __init__(self, condition: tuple[str, str, str, str], error: str):
        super().__init__(error)
        self.condition = condition
        self.error = error


def milli_quantity(value: int) -> str:
    """`resource.NewMilliQuantity(v, DecimalSI).String()`."""
    return format_quantity(Fraction(value, 1000), DECIMAL_SI)


def parse_group_version(gv: str) -> tuple[str, str]:
    """`schema.ParseGroupVersion`."""
    if not gv or gv == "/":
        return "", ""
    n = gv.count("/")
    if n == 0:
        return "", gv
    if n == 1:
        g, _, v = gv.partition("/")
        return g, v
    raise _TargetError(f"unexpected GroupVersion string: {gv}")


def resolve_target(view: View, namespace: str, ref: dict) -> tuple[ResourceType, dict]:
    """The target's resource type and its Scale, or `_TargetError` with upstream's message."""
    group, _version = parse_group_version(str(ref.get("apiVersion") or ""))
    kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
    rt = BY_KIND.get(kind)
    if rt is None or rt.group != group:
        raise _TargetError(f'no matches for kind "{kind}" in group "{group}"')
    if "scale" not in rt.subresources:
        raise _TargetError("the server could not find the requested resource")
    obj = view.get(rt.group, rt.plural, namespace if rt.namespaced else "", name)
    if obj is None:
        raise _TargetError(f'{rt.qualified} "{name}" not found')
    return rt, to_scale(obj)


def go_label_selector(sel: dict | None) -> str:
    """`%+v` of a `*metav1.LabelSelector` (its generated String())."""
    if sel is None:
        return "nil"
    labels = ",".join(f"{k}: {v}" for k, v in sorted((sel.get("matchLabels") or {}).items()))
    exprs = ",".join(
        f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},Values:[]string{{{','.join(e.get('values') or [])}}},}}"
        for e in sel.get("matchExpressions") or ())
    return (f"&LabelSelector{{MatchLabels:map[string]string{{{labels + ',' if labels else ''}}},"
            f"MatchExpressions:[]LabelSelectorRequirement{{{exprs + ',' if exprs else ''}}},}}")


class Sync:
    """The working state of one sync (upstream's deep copy of the HPA) and what it decided."""

    def __init__(self, view: View, hpa: dict, who: UserInfo, previous_sync: int):
        self.view = view
        self.now = view.now
        self.who = who
        self.orig = hpa
        meta = hpa["metadata"]
        self.namespace = meta.get("namespace", "")
        self.name = meta["name"]
        spec = hpa.get("spec") or {}
        status = hpa.get("status") or {}
        if is_v1_shape(hpa):
            spec, status = v1_spec_to_v2(spec), v1_status_to_v2(status)
        self.spec = spec
        self.orig_status = st.compact_status(status)
        self.status = clone(self.orig_status)
        self.events: list[tuple[str, str, str]] = []
        self.history = hist.Working(hist.parse(hpa), self.now, previous_sync)
        self.scale_write: Request | None = None

    # --- helpers -----------------------------------------------------------------------------------

    def set_condition(self, type_: str, status: str, reason: str, message: str) -> None:
        self.status["conditions"] = st.set_condition(self.status.get("conditions") or [], type_, status, reason, message, self.now)

    def event(self, type_: str, reason: str, message: str) -> None:
        self.events.append((type_, reason, message))

    def set_status(self, current: int, desired: int, statuses: list | None, rescale: bool) -> None:
        """`setStatus`: the status rebuilt from scratch (observedGeneration is not kept)."""
        last = self.status.get("lastScaleTime")
        self.status = {
            "lastScaleTime": rfc3339(self.now) if rescale else last,
            "currentReplicas": current,
            "desiredReplicas": desired,
            "currentMetrics": statuses,
            "conditions": self.status.get("conditions") or [],
        }

    def unable(self, reason: str, err: str) -> tuple[str, str, str, str]:
        """`getUnableComputeReplicaCountCondition`: a Warning event and the ScalingActive=False condition."""
        self.event("Warning", reason, err)
        return ("ScalingActive", "False", reason, f"the HPA was unable to compute the replica count: {err}")

    # --- reconcileAutoscaler -------------------------------------------------------------------------

    def reconcile(self) -> None:
        ref = self.spec.get("scaleTargetRef") or {}
        try:
            rt, scale = resolve_target(self.view, self.namespace, ref)
        except _TargetError as e:
            self.event("Warning", "FailedGetScale", str(e))
            self.set_condition("AbleToScale", "False", "FailedGetScale", SCALE_ERROR_PREFIX + str(e))
            return
        self.set_condition("AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale")
        current = int((scale.get("spec") or {}).get("replicas") or 0)
        self.history.record_initial(current)

        min_replicas = self.spec.get("minReplicas")
        min_replicas = 1 if min_replicas is None else int(min_replicas)
        max_replicas = int(self.spec.get("maxReplicas") or 0)
        rescale, desired, reason = True, 0, ""
        statuses: list | None = None
        if current == 0 and min_replicas != 0:
            desired, rescale = 0, False
            self.set_condition("ScalingActive", "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")
        elif current > max_replicas:
            reason, desired = "Current number of replicas above Spec.MaxReplicas", max_replicas
        elif current < min_replicas:
            reason, desired = "Current number of replicas below Spec.MinReplicas", min_replicas
        else:
            metric_desired, metric_name, statuses, err = self.compute_replicas_for_metrics(scale, self._metric_specs())
            if err is not None and metric_desired == -1:
                self.set_status(current, int(self.status.get("desiredReplicas") or 0), statuses, False)
                self.event("Warning", "FailedComputeMetricsReplicas", err)
                return
            rescale_metric = ""
            if metric_desired > desired:
                desired, rescale_metric = metric_desired, metric_name
            if desired > current:
                reason = f"{rescale_metric} above target"
            if desired < current:
                reason = "All metrics below target"
            behavior = self.spec.get("behavior")
            if isinstance(behavior, dict):
                desired, conditions = normalize.normalize_desired_replicas_with_behaviors(
                    self.history, behavior, current, desired, min_replicas, max_replicas)
            else:
                desired, conditions = normalize.normalize_desired_replicas(self.history, current, desired, min_replicas, max_replicas)
            for c in conditions:
                self.set_condition(*c)
            rescale = desired != current

        if rescale:
            self.scale_write = st.scale_request(self.who, rt.group, rt.version, rt.plural, self.namespace, scale, desired)
            self.set_condition("AbleToScale", "True", "SucceededRescale", f"the HPA controller was able to update the target scale to {desired}")
            self.event("Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            if isinstance(self.spec.get("behavior"), dict):
                self.history.store_scale_event(current, desired)
        else:
            desired = current
        self.set_status(current, desired, statuses, rescale)

    def _metric_specs(self) -> list[dict]:
        specs = [m for m in self.spec.get("metrics") or () if isinstance(m, dict)]
        if not specs:  # the v2 default (the API server fills it in; kept for objects stored without it)
            specs = [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
        return specs

    # --- computeReplicasForMetrics -------------------------------------------------------------------

    def compute_replicas_for_metrics(self, scale: dict, specs: list[dict]) -> tuple[int, str, list | None, str | None]:
        selector_text = (scale.get("status") or {}).get("selector") or ""
        try:
            selector, pods = self.validate_and_parse_selector(selector_text)
        except _MetricFailure as f:
            return -1, "", None, f.error
        spec_replicas = int((scale.get("spec") or {}).get("replicas") or 0)
        status_replicas = int((scale.get("status") or {}).get("replicas") or 0)
        statuses: list[dict] = [{"type": ""} for _ in specs]
        replicas, metric = 0, ""
        invalid_count, invalid_error, invalid_condition = 0, None, None
        for i, spec in enumerate(specs):
            try:
                proposal, name, metric_status = self.compute_replicas_for_metric(spec, spec_replicas, status_replicas, pods)
            except _MetricFailure as f:
                if invalid_count <= 0:
                    invalid_condition, invalid_error = f.condition, f.error
                invalid_count += 1
                continue
            statuses[i] = metric_status
            if replicas == 0 or proposal > replicas:
                replicas, metric = proposal, name
        if invalid_error is not None:
            invalid_error = f"invalid metrics ({invalid_count} invalid out of {len(specs)}), first error is: {invalid_error}"
        if invalid_count >= len(specs) or (invalid_count > 0 and replicas < spec_replicas):
            self.set_condition(*invalid_condition)
            return -1, "", statuses, invalid_error
        self.set_condition("ScalingActive", "True", "ValidMetricFound", f"the HPA was able to successfully calculate a replica count from {metric}")
        return replicas, metric, statuses, invalid_error

    def validate_and_parse_selector(self, selector_text: str) -> tuple[Selector, list[dict]]:
        if selector_text == "":
            self.event("Warning", "SelectorRequired", "selector is required")
            self.set_condition("ScalingActive", "False", "InvalidSelector", "the HPA target's scale is missing a selector")
            raise _MetricFailure(("", "", "", ""), "selector is required")
        try:
            selector = parse_label_selector(selector_text)
        except StatusError as e:
            msg = f"couldn't convert selector into a corresponding internal selector object: {e.message}"
            self.event("Warning", "InvalidSelector", msg)
            self.set_condition("ScalingActive", "False", "InvalidSelector", msg)
            raise _MetricFailure(("", "", "", ""), msg) from None
        pods = self._pods(selector)
        controlling = self._hpas_controlling(pods)
        if len(controlling) > 1:
            msg = f"pods by selector {selector_text} are controlled by multiple HPAs: [{' '.join(controlling)}]"
            self.event("Warning", "AmbiguousSelector", msg)
            self.set_condition("ScalingActive", "False", "AmbiguousSelector", msg)
            raise _MetricFailure(("", "", "", ""), msg)
        return selector, pods

    def _pods(self, selector: Selector) -> list[dict]:
        pods = [p for p in self.view.list("", "pods", self.namespace) if selector.matches((p.get("metadata") or {}).get("labels") or {})]
        return sorted(pods, key=lambda p: p["metadata"]["name"])

    def _hpas_controlling(self, pods: list[dict]) -> list[str]:
        """`hpasControllingPodsUnderSelector`: the HPAs (`ns/name`) whose target selects any of the
        pods. Upstream knows an HPA's selector once it has been reconciled; here: other HPAs that
        carry conditions (have synced) and whose target resolves."""
        if not pods:
            return []
        found = {f"{self.namespace}/{self.name}"}
        for other in self.view.list(st.GROUP, st.RESOURCE, self.namespace):
            oname = other["metadata"]["name"]
            if oname == self.name or not (other.get("status") or {}).get("conditions"):
                continue
            ospec = other.get("spec") or {}
            try:
                _rt, oscale = resolve_target(self.view, self.namespace, ospec.get("scaleTargetRef") or {})
                osel = parse_label_selector((oscale.get("status") or {}).get("selector") or "")
            except (_TargetError, StatusError):
                continue
            if not (oscale.get("status") or {}).get("selector"):
                continue
            if any(osel.matches((p.get("metadata") or {}).get("labels") or {}) for p in pods):
                found.add(f"{self.namespace}/{oname}")
        return sorted(found)

    # --- computeReplicasForMetric --------------------------------------------------------------------

    def compute_replicas_for_metric(self, spec: dict, spec_replicas: int, status_replicas: int,
                                    pods: list[dict]) -> tuple[int, str, dict]:
        t = spec.get("type")
        if t == "Resource":
            src = spec.get("resource") or {}
            name = src.get("name", "")
            try:
                replicas, current, label = self._resource_generic(spec_replicas, src.get("target") or {}, name, "", pods)
            except MetricError as e:
                raise _MetricFailure(self.unable("FailedGetResourceMetric", str(e)), f"failed to get {name} resource metric value: {e}") from None
            return replicas, label, {"type": "Resource", "resource": {"name": name, "current": current}}
        if t == "ContainerResource":
            src = spec.get("containerResource") or {}
            name, container = src.get("name", ""), src.get("container", "")
            try:
                replicas, current, label = self._resource_generic(spec_replicas, src.get("target") or {}, name, container, pods)
            except MetricError as e:
                raise _MetricFailure(self.unable("FailedGetContainerResourceMetric", str(e)),
                                     f"failed to get {container} container metric value: {e}") from None
            return replicas, label, {"type": "ContainerResource", "containerResource": {"name": name, "container": container, "current": current}}
        if t == "Pods":
            return self._pods_metric(spec.get("pods") or {}, spec_replicas, pods)
        if t == "Object":
            return self._object_metric(spec.get("object") or {}, spec_replicas, status_replicas, pods)
        if t == "External":
            return self._external_metric(spec.get("external") or {})
        err = f'unknown metric source type "{t}"'
        raise _MetricFailure(self.unable("InvalidMetricSourceType", err), err)

    def _resource_generic(self, current: int, target: dict, name: str, container: str, pods: list[dict]) -> tuple[int, dict, str]:
        """`computeStatusForResourceMetricGeneric`: (replicas, MetricValueStatus, metric description)."""
        if target.get("averageValue") is not None:
            try:
                metrics = sim_metrics.resource_metrics(pods, name, container, self.now)
                replicas, usage = plain_metric_replicas(current, milli_value(target["averageValue"]), pods, metrics, self.now, resource=name)
            except MetricError as e:
                raise MetricError(f"failed to get {name} usage: {e}") from None
            return replicas, {"averageValue": milli_quantity(usage)}, f"{name} resource"
        if target.get("averageUtilization") is None:
            raise MetricError("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set")
        try:
            metrics = sim_metrics.resource_metrics(pods, name, container, self.now)
            replicas, utilization, raw = resource_replicas(current, int(target["averageUtilization"]), name, pods, metrics, self.now,
                                                           container=container)
        except MetricError as e:
            raise MetricError(f"failed to get {name} utilization: {e}") from None
        label = f"{name} container resource utilization (percentage of request)" if container else \
            f"{name} resource utilization (percentage of request)"
        return replicas, {"averageUtilization": utilization, "averageValue": milli_quantity(raw)}, label

    @staticmethod
    def _metric_identifier(metric: dict) -> dict:
        out = {"name": metric.get("name", "")}
        if metric.get("selector") is not None:
            out["selector"] = metric["selector"]
        return out

    def _metric_selector(self, metric: dict, reason: str, what: str) -> None:
        try:
            selector_from_label_selector(metric.get("selector"))
        except StatusError as e:
            raise _MetricFailure(self.unable(reason, e.message), f"failed to get {what} metric value: {e.message}") from None

    def _pods_metric(self, src: dict, spec_replicas: int, pods: list[dict]) -> tuple[int, str, dict]:
        metric = src.get("metric") or {}
        self._metric_selector(metric, "FailedGetPodsMetric", "pods")
        name = metric.get("name", "")
        try:
            target = milli_value((src.get("target") or {}).get("averageValue"))
            values = sim_metrics.pods_metric(pods, name, self.now)
            replicas, usage = plain_metric_replicas(spec_replicas, target, pods, values, self.now)
        except (MetricError, ValueError, TypeError) as e:
            raise _MetricFailure(self.unable("FailedGetPodsMetric", str(e)), f"failed to get pods metric value: {e}") from None
        status = {"type": "Pods", "pods": {"metric": self._metric_identifier(metric), "current": {"averageValue": milli_quantity(usage)}}}
        return replicas, f"pods metric {name}", status

    def _object_metric(self, src: dict, spec_replicas: int, status_replicas: int, pods: list[dict]) -> tuple[int, str, dict]:
        metric = src.get("metric") or {}
        self._metric_selector(metric, "FailedGetObjectMetric", "object")
        name = metric.get("name", "")
        described = src.get("describedObject") or {}
        target = src.get("target") or {}

        def fetch() -> int:
            kind, oname = described.get("kind", ""), described.get("name", "")
            try:
                group, _v = parse_group_version(str(described.get("apiVersion") or ""))
                rt = BY_KIND.get(kind)
                if rt is None or rt.group != group:
                    raise MetricError(f'no matches for kind "{kind}" in group "{group}"')
                obj = self.view.get(rt.group, rt.plural, self.namespace if rt.namespaced else "", oname)
                return sim_metrics.object_metric(obj, name, rt.qualified, oname)
            except (MetricError, _TargetError) as e:
                # upstream's format string puts its arguments out of place; kept verbatim
                raise MetricError(f"unable to get metric {name}: {kind} on {self.namespace} {oname}/{e}") from None

        if target.get("type") == "Value" and target.get("value") is not None:
            try:
                usage = fetch()
                replicas = object_metric_replicas(spec_replicas, milli_value(target["value"]), usage, pods)
            except MetricError as e:
                raise _MetricFailure(self.unable("FailedGetObjectMetric", str(e)), f"failed to get object metric value: {e}") from None
            status = {"type": "Object", "object": {"describedObject": described, "metric": self._metric_identifier(metric),
                                                   "current": {"value": milli_quantity(usage)}}}
            return replicas, f"{described.get('kind', '')} metric {name}", status
        if target.get("type") == "AverageValue" and target.get("averageValue") is not None:
            try:
                usage = fetch()
                replicas, per_pod = per_pod_replicas(status_replicas, milli_value(target["averageValue"]), usage)
            except MetricError as e:
                cond = self.unable("FailedGetObjectMetric", str(e))
                raise _MetricFailure(cond, f"failed to get object metric value: failed to get {name} object metric: {e}") from None
            status = {"type": "Object", "object": {"metric": self._metric_identifier(metric), "current": {"averageValue": milli_quantity(per_pod)}}}
            return replicas, f"external metric {name}({go_label_selector(metric.get('selector'))})", status
        err = "invalid object metric source: neither a value target nor an average value target was set"
        raise _MetricFailure(self.unable("FailedGetObjectMetric", err), f"failed to get object metric value: {err}")

    def _external_metric(self, src: dict) -> tuple[int, str, dict]:
        metric = src.get("metric") or {}
        name = metric.get("name", "")
        target = src.get("target") or {}
        inner = (f"unable to get external metric {self.namespace}/{name}/{go_label_selector(metric.get('selector'))}: "
                 f"unable to fetch metrics from external metrics API: the server could not find the requested resource "
                 f"(get {name}.external.metrics.k8s.io)")
        if target.get("averageValue") is not None:
            err = f"failed to get {name} external metric: {inner}"
        elif target.get("value") is not None:
            err = f"failed to get external metric {name}: {inner}"
        else:
            err = "invalid external metric source: neither a value target nor an average value target was set"
        cond = self.unable("FailedGetExternalMetric", inner if target.get("averageValue") is not None or target.get("value") is not None else err)
        raise _MetricFailure(cond, f"failed to get {name} external metric value: {err}")

    # --- the decided writes --------------------------------------------------------------------------

    def requests(self) -> list[Request]:
        out: list[Request] = []
        if self.scale_write is not None:
            out.append(self.scale_write)
        out += st.event_requests(self.view, self.who, self.orig, self.events, self.now)
        behavior = self.spec.get("behavior") if isinstance(self.spec.get("behavior"), dict) else None
        stored = ((self.orig.get("metadata") or {}).get("annotations") or {}).get(hist.ANNOTATION)
        patched = False
        if self.history.present:
            up_period = normalize.longest_policy_period_us((behavior or {}).get("scaleUp") or {})
            down_period = normalize.longest_policy_period_us((behavior or {}).get("scaleDown") or {})
            keep = normalize.keep_window_us(behavior)
            unpruned = hist.render(self.history.result(keep, up_period, down_period, prune=False))
            if unpruned != stored:
                value = hist.render(self.history.result(keep, up_period, down_period, prune=True))
                out.append(st.history_patch(self.who, self.orig, hist.ANNOTATION, value))
                patched = True
        new_status = st.compact_status(self.status)
        if new_status != self.orig_status:
            out.append(st.status_request(self.who, self.orig, new_status, with_rv=not patched))
        return out


__all__ = ["Sync", "resolve_target", "parse_group_version", "milli_quantity"]
