"""The JSON field names of every served kind: what strict field validation checks bodies against.

The API server decodes a request body into its Go type; with `fieldValidation=Strict` (kubectl's
default `--validate=strict`) every JSON key that no `json:"..."` tag of that type names is an
"unknown field". This module is that set of tags, for the kinds of `engine.registry.TYPES` and
the structs they are built from, following Kubernetes **1.32** (`k8s.io/api` and
`k8s.io/apimachinery/pkg/apis/meta/v1` at v0.32): fields of alpha and beta features are included,
because the decoder knows them whatever the feature gates say.

Why hand-written: the schema upstream publishes is the OpenAPI document the server serves, and
no maintained Python package ships that document for offline use; the official client carries it
only as ~700 generated model classes, a large runtime dependency for a set of names (good for
checking this table, as the tests do, not for shipping in place of it). Field names are
only added upstream, one release at a time, so a static table is easy to keep up: moving to a
newer release is a matter of adding that release's new fields here. The table was checked struct
by struct against the model classes of the `kubernetes` Python client 32.0.1 (generated from the
1.32 OpenAPI document); tests/pipeline/test_strict_fields.py repeats that check whenever such a
client is importable (it is skipped otherwise).

Types are small and reusable:

* `Struct(name, "leaf names ...", typed=...)`: a Go struct; leaves are scalars (strings,
  numbers, booleans, times) and lists of scalars, typed fields say what their value holds;
* `LIST(of)`: a JSON array whose items are `of` (only needed for arrays of structs);
* `MAP`: a free-form map (`labels`, `annotations`, `data`, `nodeSelector`, resource lists, the
  ReplicationController `selector`, ...): any key is accepted;
* `ANY`: a value nothing is checked inside (scalars, `IntOrString`, `Quantity`, times,
  `RawExtension`, `FieldsV1`, the free-form spec of kubetape's own `Cluster`).

Pure data: no I/O.
"""

from __future__ import annotations

from typing import Union


class Opaque:
    """A value strict decoding does not look inside (`ANY`) or a map with free keys (`MAP`)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


ANY = Opaque("ANY")
MAP = Opaque("MAP")


class List:
    """A JSON array of `of`."""

    __slots__ = ("of",)

    def __init__(self, of: "Type"):
        self.of = of

    def __repr__(self) -> str:
        return f"LIST({self.of!r})"


def LIST(of: "Type") -> List:  # noqa: N802 - reads like the type constructor it stands for
    return List(of)


class Struct:
    """A Go struct: its JSON field names, each with the type of its value."""

    __slots__ = ("name", "fields")

    def __init__(self, name: str, leaves: str = "", **typed: "Type"):
        self.name = name
        self.fields: dict[str, Type] = dict.fromkeys(leaves.split(), ANY)
        both = self.fields.keys() & typed.keys()
        if both:
            raise ValueError(f"{name}: {sorted(both)} given twice")
        self.fields.update(typed)

    def extend(self, name: str, leaves: str = "", **typed: "Type") -> "Struct":
        """A struct with this one's fields and more (Go's inlined embedding)."""
        s = Struct(name, leaves, **typed)
        both = self.fields.keys() & s.fields.keys()
        if both:
            raise ValueError(f"{name}: {sorted(both)} already in {self.name}")
        s.fields = {**self.fields, **s.fields}
        return s

    def __contains__(self, field: str) -> bool:
        return field in self.fields

    def __repr__(self) -> str:
        return f"Struct({self.name})"


Type = Union[Opaque, List, Struct]


def _condition(name: str, extra: str = "") -> Struct:
    """The usual `<Kind>Condition`: type, status, reason, message and its timestamps."""
    return Struct(name, "type status lastTransitionTime reason message " + extra)


# --- meta/v1 ----------------------------------------------------------------------------------

OWNER_REFERENCE = Struct("OwnerReference", "apiVersion kind name uid controller blockOwnerDeletion")
MANAGED_FIELDS_ENTRY = Struct("ManagedFieldsEntry", "manager operation apiVersion time fieldsType fieldsV1 subresource")
OBJECT_META = Struct(
    "ObjectMeta",
    "name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp "
    "deletionGracePeriodSeconds finalizers",
    labels=MAP,
    annotations=MAP,
    ownerReferences=LIST(OWNER_REFERENCE),
    managedFields=LIST(MANAGED_FIELDS_ENTRY),
)
LABEL_SELECTOR_REQUIREMENT = Struct("LabelSelectorRequirement", "key operator values")
LABEL_SELECTOR = Struct("LabelSelector", matchLabels=MAP, matchExpressions=LIST(LABEL_SELECTOR_REQUIREMENT))
CONDITION = _condition("Condition", "observedGeneration")  # metav1.Condition

# --- core/v1: references ----------------------------------------------------------------------

OBJECT_REFERENCE = Struct("ObjectReference", "kind namespace name uid apiVersion resourceVersion fieldPath")
LOCAL_OBJECT_REFERENCE = Struct("LocalObjectReference", "name")
SECRET_REFERENCE = Struct("SecretReference", "name namespace")
TYPED_LOCAL_OBJECT_REFERENCE = Struct("TypedLocalObjectReference", "apiGroup kind name")
TYPED_OBJECT_REFERENCE = Struct("TypedObjectReference", "apiGroup kind name namespace")

# --- core/v1: scheduling ----------------------------------------------------------------------

NODE_SELECTOR_REQUIREMENT = Struct("NodeSelectorRequirement", "key operator values")
NODE_SELECTOR_TERM = Struct(
    "NodeSelectorTerm", matchExpressions=LIST(NODE_SELECTOR_REQUIREMENT), matchFields=LIST(NODE_SELECTOR_REQUIREMENT)
)
NODE_SELECTOR = Struct("NodeSelector", nodeSelectorTerms=LIST(NODE_SELECTOR_TERM))
PREFERRED_SCHEDULING_TERM = Struct("PreferredSchedulingTerm", "weight", preference=NODE_SELECTOR_TERM)
NODE_AFFINITY = Struct(
    "NodeAffinity",
    requiredDuringSchedulingIgnoredDuringExecution=NODE_SELECTOR,
    preferredDuringSchedulingIgnoredDuringExecution=LIST(PREFERRED_SCHEDULING_TERM),
)
POD_AFFINITY_TERM = Struct(
    "PodAffinityTerm",
    "namespaces topologyKey matchLabelKeys mismatchLabelKeys",
    labelSelector=LABEL_SELECTOR,
    namespaceSelector=LABEL_SELECTOR,
)
WEIGHTED_POD_AFFINITY_TERM = Struct("WeightedPodAffinityTerm", "weight", podAffinityTerm=POD_AFFINITY_TERM)
POD_AFFINITY = Struct(
    "PodAffinity",
    requiredDuringSchedulingIgnoredDuringExecution=LIST(POD_AFFINITY_TERM),
    preferredDuringSchedulingIgnoredDuringExecution=LIST(WEIGHTED_POD_AFFINITY_TERM),
)
POD_ANTI_AFFINITY = POD_AFFINITY.extend("PodAntiAffinity")
AFFINITY = Struct("Affinity", nodeAffinity=NODE_AFFINITY, podAffinity=POD_AFFINITY, podAntiAffinity=POD_ANTI_AFFINITY)
TOLERATION = Struct("Toleration", "key operator value effect tolerationSeconds")
TOPOLOGY_SPREAD_CONSTRAINT = Struct(
    "TopologySpreadConstraint",
    "maxSkew topologyKey whenUnsatisfiable minDomains nodeAffinityPolicy nodeTaintsPolicy matchLabelKeys",
    labelSelector=LABEL_SELECTOR,
)

# --- core/v1: containers ----------------------------------------------------------------------

EXEC_ACTION = Struct("ExecAction", "command")
HTTP_GET_ACTION = Struct("HTTPGetAction", "path port host scheme", httpHeaders=LIST(Struct("HTTPHeader", "name value")))
TCP_SOCKET_ACTION = Struct("TCPSocketAction", "port host")
PROBE = Struct(
    "Probe",
    "initialDelaySeconds timeoutSeconds periodSeconds successThreshold failureThreshold terminationGracePeriodSeconds",
    exec=EXEC_ACTION,
    httpGet=HTTP_GET_ACTION,
    tcpSocket=TCP_SOCKET_ACTION,
    grpc=Struct("GRPCAction", "port service"),
)
LIFECYCLE_HANDLER = Struct(
    "LifecycleHandler",
    exec=EXEC_ACTION,
    httpGet=HTTP_GET_ACTION,
    tcpSocket=TCP_SOCKET_ACTION,
    sleep=Struct("SleepAction", "seconds"),
)
LIFECYCLE = Struct("Lifecycle", postStart=LIFECYCLE_HANDLER, preStop=LIFECYCLE_HANDLER)
CONTAINER_PORT = Struct("ContainerPort", "name hostPort containerPort protocol hostIP")
OBJECT_FIELD_SELECTOR = Struct("ObjectFieldSelector", "apiVersion fieldPath")
RESOURCE_FIELD_SELECTOR = Struct("ResourceFieldSelector", "containerName resource divisor")
ENV_VAR = Struct(
    "EnvVar",
    "name value",
    valueFrom=Struct(
        "EnvVarSource",
        fieldRef=OBJECT_FIELD_SELECTOR,
        resourceFieldRef=RESOURCE_FIELD_SELECTOR,
        configMapKeyRef=Struct("ConfigMapKeySelector", "name key optional"),
        secretKeyRef=Struct("SecretKeySelector", "name key optional"),
    ),
)
ENV_FROM_SOURCE = Struct(
    "EnvFromSource",
    "prefix",
    configMapRef=Struct("ConfigMapEnvSource", "name optional"),
    secretRef=Struct("SecretEnvSource", "name optional"),
)
RESOURCE_REQUIREMENTS = Struct(
    "ResourceRequirements", limits=MAP, requests=MAP, claims=LIST(Struct("ResourceClaim", "name request"))
)
VOLUME_MOUNT = Struct("VolumeMount", "name readOnly recursiveReadOnly mountPath subPath mountPropagation subPathExpr")
SE_LINUX_OPTIONS = Struct("SELinuxOptions", "user role type level")
WINDOWS_OPTIONS = Struct("WindowsSecurityContextOptions", "gmsaCredentialSpecName gmsaCredentialSpec runAsUserName hostProcess")
SECCOMP_PROFILE = Struct("SeccompProfile", "type localhostProfile")
APP_ARMOR_PROFILE = Struct("AppArmorProfile", "type localhostProfile")
SECURITY_CONTEXT = Struct(
    "SecurityContext",
    "privileged runAsUser runAsGroup runAsNonRoot readOnlyRootFilesystem allowPrivilegeEscalation procMount",
    capabilities=Struct("Capabilities", "add drop"),
    seLinuxOptions=SE_LINUX_OPTIONS,
    windowsOptions=WINDOWS_OPTIONS,
    seccompProfile=SECCOMP_PROFILE,
    appArmorProfile=APP_ARMOR_PROFILE,
)
CONTAINER = Struct(
    "Container",
    "name image command args workingDir imagePullPolicy terminationMessagePath terminationMessagePolicy "
    "restartPolicy stdin stdinOnce tty",
    ports=LIST(CONTAINER_PORT),
    envFrom=LIST(ENV_FROM_SOURCE),
    env=LIST(ENV_VAR),
    resources=RESOURCE_REQUIREMENTS,
    resizePolicy=LIST(Struct("ContainerResizePolicy", "resourceName restartPolicy")),
    volumeMounts=LIST(VOLUME_MOUNT),
    volumeDevices=LIST(Struct("VolumeDevice", "name devicePath")),
    livenessProbe=PROBE,
    readinessProbe=PROBE,
    startupProbe=PROBE,
    lifecycle=LIFECYCLE,
    securityContext=SECURITY_CONTEXT,
)
EPHEMERAL_CONTAINER = CONTAINER.extend("EphemeralContainer", "targetContainerName")

# --- core/v1: volumes -------------------------------------------------------------------------

KEY_TO_PATH = Struct("KeyToPath", "key path mode")
DOWNWARD_API_VOLUME_FILE = Struct(
    "DownwardAPIVolumeFile", "path mode", fieldRef=OBJECT_FIELD_SELECTOR, resourceFieldRef=RESOURCE_FIELD_SELECTOR
)
VOLUME_RESOURCE_REQUIREMENTS = Struct("VolumeResourceRequirements", limits=MAP, requests=MAP)
PERSISTENT_VOLUME_CLAIM_SPEC = Struct(
    "PersistentVolumeClaimSpec",
    "accessModes volumeName storageClassName volumeMode volumeAttributesClassName",
    selector=LABEL_SELECTOR,
    resources=VOLUME_RESOURCE_REQUIREMENTS,
    dataSource=TYPED_LOCAL_OBJECT_REFERENCE,
    dataSourceRef=TYPED_OBJECT_REFERENCE,
)

# Sources a pod volume and a PersistentVolume share, field for field.
AWS_EBS = Struct("AWSElasticBlockStoreVolumeSource", "volumeID fsType partition readOnly")
AZURE_DISK = Struct("AzureDiskVolumeSource", "diskName diskURI cachingMode fsType readOnly kind")
FC = Struct("FCVolumeSource", "targetWWNs lun fsType readOnly wwids")
FLOCKER = Struct("FlockerVolumeSource", "datasetName datasetUUID")
GCE_PD = Struct("GCEPersistentDiskVolumeSource", "pdName fsType partition readOnly")
HOST_PATH = Struct("HostPathVolumeSource", "path type")
NFS = Struct("NFSVolumeSource", "server path readOnly")
PHOTON_PD = Struct("PhotonPersistentDiskVolumeSource", "pdID fsType")
PORTWORX = Struct("PortworxVolumeSource", "volumeID fsType readOnly")
QUOBYTE = Struct("QuobyteVolumeSource", "registry volume readOnly user group tenant")
VSPHERE = Struct("VsphereVirtualDiskVolumeSource", "volumePath fsType storagePolicyName storagePolicyID")

# Pod-volume sources whose PersistentVolume twin differs (a namespaced secret reference, ...).
_CEPHFS = "monitors path user secretFile readOnly"
_CINDER = "volumeID fsType readOnly"
_FLEX = "driver fsType readOnly"
_GLUSTERFS = "endpoints path readOnly"
_ISCSI = "targetPortal iqn lun iscsiInterface fsType readOnly portals chapAuthDiscovery chapAuthSession initiatorName"
_RBD = "monitors image fsType pool user keyring readOnly"
_SCALEIO = "gateway system sslEnabled protectionDomain storagePool storageMode volumeName fsType readOnly"
_STORAGEOS = "volumeName volumeNamespace fsType readOnly"

VOLUME = Struct(
    "Volume",
    "name",
    hostPath=HOST_PATH,
    emptyDir=Struct("EmptyDirVolumeSource", "medium sizeLimit"),
    gcePersistentDisk=GCE_PD,
    awsElasticBlockStore=AWS_EBS,
    gitRepo=Struct("GitRepoVolumeSource", "repository revision directory"),
    secret=Struct("SecretVolumeSource", "secretName defaultMode optional", items=LIST(KEY_TO_PATH)),
    nfs=NFS,
    iscsi=Struct("ISCSIVolumeSource", _ISCSI, secretRef=LOCAL_OBJECT_REFERENCE),
    glusterfs=Struct("GlusterfsVolumeSource", _GLUSTERFS),
    persistentVolumeClaim=Struct("PersistentVolumeClaimVolumeSource", "claimName readOnly"),
    rbd=Struct("RBDVolumeSource", _RBD, secretRef=LOCAL_OBJECT_REFERENCE),
    flexVolume=Struct("FlexVolumeSource", _FLEX, secretRef=LOCAL_OBJECT_REFERENCE, options=MAP),
    cinder=Struct("CinderVolumeSource", _CINDER, secretRef=LOCAL_OBJECT_REFERENCE),
    cephfs=Struct("CephFSVolumeSource", _CEPHFS, secretRef=LOCAL_OBJECT_REFERENCE),
    flocker=FLOCKER,
    downwardAPI=Struct("DownwardAPIVolumeSource", "defaultMode", items=LIST(DOWNWARD_API_VOLUME_FILE)),
    fc=FC,
    azureFile=Struct("AzureFileVolumeSource", "secretName shareName readOnly"),
    configMap=Struct("ConfigMapVolumeSource", "name defaultMode optional", items=LIST(KEY_TO_PATH)),
    vsphereVolume=VSPHERE,
    quobyte=QUOBYTE,
    azureDisk=AZURE_DISK,
    photonPersistentDisk=PHOTON_PD,
    projected=Struct(
        "ProjectedVolumeSource",
        "defaultMode",
        sources=LIST(
            Struct(
                "VolumeProjection",
                secret=Struct("SecretProjection", "name optional", items=LIST(KEY_TO_PATH)),
                downwardAPI=Struct("DownwardAPIProjection", items=LIST(DOWNWARD_API_VOLUME_FILE)),
                configMap=Struct("ConfigMapProjection", "name optional", items=LIST(KEY_TO_PATH)),
                serviceAccountToken=Struct("ServiceAccountTokenProjection", "audience expirationSeconds path"),
                clusterTrustBundle=Struct(
                    "ClusterTrustBundleProjection", "name signerName optional path", labelSelector=LABEL_SELECTOR
                ),
            )
        ),
    ),
    portworxVolume=PORTWORX,
    scaleIO=Struct("ScaleIOVolumeSource", _SCALEIO, secretRef=LOCAL_OBJECT_REFERENCE),
    storageos=Struct("StorageOSVolumeSource", _STORAGEOS, secretRef=LOCAL_OBJECT_REFERENCE),
    csi=Struct(
        "CSIVolumeSource", "driver readOnly fsType", volumeAttributes=MAP, nodePublishSecretRef=LOCAL_OBJECT_REFERENCE
    ),
    ephemeral=Struct(
        "EphemeralVolumeSource",
        volumeClaimTemplate=Struct(
            "PersistentVolumeClaimTemplate", metadata=OBJECT_META, spec=PERSISTENT_VOLUME_CLAIM_SPEC
        ),
    ),
    image=Struct("ImageVolumeSource", "reference pullPolicy"),
)

# --- core/v1: pods ----------------------------------------------------------------------------

POD_SECURITY_CONTEXT = Struct(
    "PodSecurityContext",
    "runAsUser runAsGroup runAsNonRoot supplementalGroups supplementalGroupsPolicy fsGroup fsGroupChangePolicy "
    "seLinuxChangePolicy",
    seLinuxOptions=SE_LINUX_OPTIONS,
    windowsOptions=WINDOWS_OPTIONS,
    sysctls=LIST(Struct("Sysctl", "name value")),
    seccompProfile=SECCOMP_PROFILE,
    appArmorProfile=APP_ARMOR_PROFILE,
)
POD_SPEC = Struct(
    "PodSpec",
    "restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy serviceAccountName "
    "serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC shareProcessNamespace "
    "hostname subdomain schedulerName priorityClassName priority runtimeClassName enableServiceLinks "
    "preemptionPolicy setHostnameAsFQDN hostUsers",
    volumes=LIST(VOLUME),
    initContainers=LIST(CONTAINER),
    containers=LIST(CONTAINER),
    ephemeralContainers=LIST(EPHEMERAL_CONTAINER),
    nodeSelector=MAP,
    securityContext=POD_SECURITY_CONTEXT,
    imagePullSecrets=LIST(LOCAL_OBJECT_REFERENCE),
    affinity=AFFINITY,
    tolerations=LIST(TOLERATION),
    hostAliases=LIST(Struct("HostAlias", "ip hostnames")),
    dnsConfig=Struct("PodDNSConfig", "nameservers searches", options=LIST(Struct("PodDNSConfigOption", "name value"))),
    readinessGates=LIST(Struct("PodReadinessGate", "conditionType")),
    overhead=MAP,
    topologySpreadConstraints=LIST(TOPOLOGY_SPREAD_CONSTRAINT),
    os=Struct("PodOS", "name"),
    schedulingGates=LIST(Struct("PodSchedulingGate", "name")),
    resourceClaims=LIST(Struct("PodResourceClaim", "name resourceClaimName resourceClaimTemplateName")),
    resources=RESOURCE_REQUIREMENTS,
)
POD_TEMPLATE_SPEC = Struct("PodTemplateSpec", metadata=OBJECT_META, spec=POD_SPEC)

CONTAINER_STATE = Struct(
    "ContainerState",
    waiting=Struct("ContainerStateWaiting", "reason message"),
    running=Struct("ContainerStateRunning", "startedAt"),
    terminated=Struct(
        "ContainerStateTerminated", "exitCode signal reason message startedAt finishedAt containerID"
    ),
)
CONTAINER_STATUS = Struct(
    "ContainerStatus",
    "name ready restartCount image imageID containerID started",
    state=CONTAINER_STATE,
    lastState=CONTAINER_STATE,
    allocatedResources=MAP,
    resources=RESOURCE_REQUIREMENTS,
    volumeMounts=LIST(Struct("VolumeMountStatus", "name mountPath readOnly recursiveReadOnly")),
    user=Struct("ContainerUser", linux=Struct("LinuxContainerUser", "uid gid supplementalGroups")),
    allocatedResourcesStatus=LIST(
        Struct("ResourceStatus", "name", resources=LIST(Struct("ResourceHealth", "resourceID health")))
    ),
)
POD_STATUS = Struct(
    "PodStatus",
    "phase message reason nominatedNodeName hostIP podIP startTime qosClass resize",
    conditions=LIST(_condition("PodCondition", "lastProbeTime")),
    hostIPs=LIST(Struct("HostIP", "ip")),
    podIPs=LIST(Struct("PodIP", "ip")),
    initContainerStatuses=LIST(CONTAINER_STATUS),
    containerStatuses=LIST(CONTAINER_STATUS),
    ephemeralContainerStatuses=LIST(CONTAINER_STATUS),
    resourceClaimStatuses=LIST(Struct("PodResourceClaimStatus", "name resourceClaimName")),
)

# --- core/v1: persistent volumes --------------------------------------------------------------

PERSISTENT_VOLUME_SPEC = Struct(
    "PersistentVolumeSpec",
    "accessModes persistentVolumeReclaimPolicy storageClassName mountOptions volumeMode volumeAttributesClassName",
    capacity=MAP,
    claimRef=OBJECT_REFERENCE,
    nodeAffinity=Struct("VolumeNodeAffinity", required=NODE_SELECTOR),
    # PersistentVolumeSource (inlined)
    gcePersistentDisk=GCE_PD,
    awsElasticBlockStore=AWS_EBS,
    hostPath=HOST_PATH,
    glusterfs=Struct("GlusterfsPersistentVolumeSource", _GLUSTERFS + " endpointsNamespace"),
    nfs=NFS,
    rbd=Struct("RBDPersistentVolumeSource", _RBD, secretRef=SECRET_REFERENCE),
    iscsi=Struct("ISCSIPersistentVolumeSource", _ISCSI, secretRef=SECRET_REFERENCE),
    cinder=Struct("CinderPersistentVolumeSource", _CINDER, secretRef=SECRET_REFERENCE),
    cephfs=Struct("CephFSPersistentVolumeSource", _CEPHFS, secretRef=SECRET_REFERENCE),
    fc=FC,
    flocker=FLOCKER,
    flexVolume=Struct("FlexPersistentVolumeSource", _FLEX, secretRef=SECRET_REFERENCE, options=MAP),
    azureFile=Struct("AzureFilePersistentVolumeSource", "secretName shareName readOnly secretNamespace"),
    vsphereVolume=VSPHERE,
    quobyte=QUOBYTE,
    azureDisk=AZURE_DISK,
    photonPersistentDisk=PHOTON_PD,
    portworxVolume=PORTWORX,
    scaleIO=Struct("ScaleIOPersistentVolumeSource", _SCALEIO, secretRef=SECRET_REFERENCE),
    local=Struct("LocalVolumeSource", "path fsType"),
    storageos=Struct("StorageOSPersistentVolumeSource", _STORAGEOS, secretRef=OBJECT_REFERENCE),
    csi=Struct(
        "CSIPersistentVolumeSource",
        "driver volumeHandle readOnly fsType",
        volumeAttributes=MAP,
        controllerPublishSecretRef=SECRET_REFERENCE,
        nodeStageSecretRef=SECRET_REFERENCE,
        nodePublishSecretRef=SECRET_REFERENCE,
        controllerExpandSecretRef=SECRET_REFERENCE,
        nodeExpandSecretRef=SECRET_REFERENCE,
    ),
)
PERSISTENT_VOLUME_STATUS = Struct("PersistentVolumeStatus", "phase message reason lastPhaseTransitionTime")
PERSISTENT_VOLUME_CLAIM_STATUS = Struct(
    "PersistentVolumeClaimStatus",
    "phase accessModes currentVolumeAttributesClassName",
    capacity=MAP,
    conditions=LIST(_condition("PersistentVolumeClaimCondition", "lastProbeTime")),
    allocatedResources=MAP,
    allocatedResourceStatuses=MAP,
    modifyVolumeStatus=Struct("ModifyVolumeStatus", "targetVolumeAttributesClassName status"),
)

# --- core/v1: nodes, namespaces, services, ... ------------------------------------------------

NODE_CONFIG_SOURCE = Struct(
    "NodeConfigSource",
    configMap=Struct("ConfigMapNodeConfigSource", "namespace name uid resourceVersion kubeletConfigKey"),
)
NODE_SPEC = Struct(
    "NodeSpec",
    "podCIDR podCIDRs providerID unschedulable externalID",
    taints=LIST(Struct("Taint", "key value effect timeAdded")),
    configSource=NODE_CONFIG_SOURCE,
)
NODE_STATUS = Struct(
    "NodeStatus",
    "phase volumesInUse",
    capacity=MAP,
    allocatable=MAP,
    conditions=LIST(_condition("NodeCondition", "lastHeartbeatTime")),
    addresses=LIST(Struct("NodeAddress", "type address")),
    daemonEndpoints=Struct("NodeDaemonEndpoints", kubeletEndpoint=Struct("DaemonEndpoint", "Port")),
    nodeInfo=Struct(
        "NodeSystemInfo",
        "machineID systemUUID bootID kernelVersion osImage containerRuntimeVersion kubeletVersion "
        "kubeProxyVersion operatingSystem architecture",
    ),
    images=LIST(Struct("ContainerImage", "names sizeBytes")),
    volumesAttached=LIST(Struct("AttachedVolume", "name devicePath")),
    config=Struct(
        "NodeConfigStatus",
        "error",
        assigned=NODE_CONFIG_SOURCE,
        active=NODE_CONFIG_SOURCE,
        lastKnownGood=NODE_CONFIG_SOURCE,
    ),
    runtimeHandlers=LIST(
        Struct(
            "NodeRuntimeHandler",
            "name",
            features=Struct("NodeRuntimeHandlerFeatures", "recursiveReadOnlyMounts userNamespaces"),
        )
    ),
    features=Struct("NodeFeatures", "supplementalGroupsPolicy"),
)
NAMESPACE_SPEC = Struct("NamespaceSpec", "finalizers")
NAMESPACE_STATUS = Struct("NamespaceStatus", "phase", conditions=LIST(_condition("NamespaceCondition")))

SERVICE_SPEC = Struct(
    "ServiceSpec",
    "clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP loadBalancerSourceRanges externalName "
    "externalTrafficPolicy healthCheckNodePort publishNotReadyAddresses ipFamilies ipFamilyPolicy "
    "allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution",
    ports=LIST(Struct("ServicePort", "name protocol appProtocol port targetPort nodePort")),
    selector=MAP,
    sessionAffinityConfig=Struct("SessionAffinityConfig", clientIP=Struct("ClientIPConfig", "timeoutSeconds")),
)
SERVICE_STATUS = Struct(
    "ServiceStatus",
    loadBalancer=Struct(
        "LoadBalancerStatus",
        ingress=LIST(
            Struct("LoadBalancerIngress", "ip hostname ipMode", ports=LIST(Struct("PortStatus", "port protocol error")))
        ),
    ),
    conditions=LIST(CONDITION),
)

ENDPOINT_ADDRESS = Struct("EndpointAddress", "ip hostname nodeName", targetRef=OBJECT_REFERENCE)
ENDPOINT_SUBSET = Struct(
    "EndpointSubset",
    addresses=LIST(ENDPOINT_ADDRESS),
    notReadyAddresses=LIST(ENDPOINT_ADDRESS),
    ports=LIST(Struct("EndpointPort", "name port protocol appProtocol")),
)

REPLICATION_CONTROLLER_SPEC = Struct(
    "ReplicationControllerSpec", "replicas minReadySeconds", selector=MAP, template=POD_TEMPLATE_SPEC
)
REPLICATION_CONTROLLER_STATUS = Struct(
    "ReplicationControllerStatus",
    "replicas fullyLabeledReplicas readyReplicas availableReplicas observedGeneration",
    conditions=LIST(_condition("ReplicationControllerCondition")),
)

RESOURCE_QUOTA_SPEC = Struct(
    "ResourceQuotaSpec",
    "scopes",
    hard=MAP,
    scopeSelector=Struct(
        "ScopeSelector",
        matchExpressions=LIST(Struct("ScopedResourceSelectorRequirement", "scopeName operator values")),
    ),
)
RESOURCE_QUOTA_STATUS = Struct("ResourceQuotaStatus", hard=MAP, used=MAP)
LIMIT_RANGE_SPEC = Struct(
    "LimitRangeSpec",
    limits=LIST(
        Struct("LimitRangeItem", "type", max=MAP, min=MAP, default=MAP, defaultRequest=MAP, maxLimitRequestRatio=MAP)
    ),
)
EVENT_SOURCE = Struct("EventSource", "component host")

# --- apps/v1 ----------------------------------------------------------------------------------

DEPLOYMENT_SPEC = Struct(
    "DeploymentSpec",
    "replicas minReadySeconds revisionHistoryLimit paused progressDeadlineSeconds",
    selector=LABEL_SELECTOR,
    template=POD_TEMPLATE_SPEC,
    strategy=Struct(
        "DeploymentStrategy", "type", rollingUpdate=Struct("RollingUpdateDeployment", "maxUnavailable maxSurge")
    ),
)
DEPLOYMENT_STATUS = Struct(
    "DeploymentStatus",
    "observedGeneration replicas updatedReplicas readyReplicas availableReplicas unavailableReplicas collisionCount",
    conditions=LIST(_condition("DeploymentCondition", "lastUpdateTime")),
)
REPLICA_SET_SPEC = Struct(
    "ReplicaSetSpec", "replicas minReadySeconds", selector=LABEL_SELECTOR, template=POD_TEMPLATE_SPEC
)
REPLICA_SET_STATUS = Struct(
    "ReplicaSetStatus",
    "replicas fullyLabeledReplicas readyReplicas availableReplicas observedGeneration",
    conditions=LIST(_condition("ReplicaSetCondition")),
)
DAEMON_SET_SPEC = Struct(
    "DaemonSetSpec",
    "minReadySeconds revisionHistoryLimit",
    selector=LABEL_SELECTOR,
    template=POD_TEMPLATE_SPEC,
    updateStrategy=Struct(
        "DaemonSetUpdateStrategy", "type", rollingUpdate=Struct("RollingUpdateDaemonSet", "maxUnavailable maxSurge")
    ),
)
DAEMON_SET_STATUS = Struct(
    "DaemonSetStatus",
    "currentNumberScheduled numberMisscheduled desiredNumberScheduled numberReady observedGeneration "
    "updatedNumberScheduled numberAvailable numberUnavailable collisionCount",
    conditions=LIST(_condition("DaemonSetCondition")),
)
PERSISTENT_VOLUME_CLAIM = Struct(
    "PersistentVolumeClaim",
    "apiVersion kind",
    metadata=OBJECT_META,
    spec=PERSISTENT_VOLUME_CLAIM_SPEC,
    status=PERSISTENT_VOLUME_CLAIM_STATUS,
)
STATEFUL_SET_SPEC = Struct(
    "StatefulSetSpec",
    "replicas serviceName podManagementPolicy revisionHistoryLimit minReadySeconds",
    selector=LABEL_SELECTOR,
    template=POD_TEMPLATE_SPEC,
    volumeClaimTemplates=LIST(PERSISTENT_VOLUME_CLAIM),
    updateStrategy=Struct(
        "StatefulSetUpdateStrategy",
        "type",
        rollingUpdate=Struct("RollingUpdateStatefulSetStrategy", "partition maxUnavailable"),
    ),
    persistentVolumeClaimRetentionPolicy=Struct(
        "StatefulSetPersistentVolumeClaimRetentionPolicy", "whenDeleted whenScaled"
    ),
    ordinals=Struct("StatefulSetOrdinals", "start"),
)
STATEFUL_SET_STATUS = Struct(
    "StatefulSetStatus",
    "observedGeneration replicas readyReplicas currentReplicas updatedReplicas currentRevision updateRevision "
    "collisionCount availableReplicas",
    conditions=LIST(_condition("StatefulSetCondition")),
)

# --- batch/v1 ---------------------------------------------------------------------------------

JOB_SPEC = Struct(
    "JobSpec",
    "parallelism completions activeDeadlineSeconds backoffLimit backoffLimitPerIndex maxFailedIndexes "
    "manualSelector ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy",
    podFailurePolicy=Struct(
        "PodFailurePolicy",
        rules=LIST(
            Struct(
                "PodFailurePolicyRule",
                "action",
                onExitCodes=Struct("PodFailurePolicyOnExitCodesRequirement", "containerName operator values"),
                onPodConditions=LIST(Struct("PodFailurePolicyOnPodConditionsPattern", "type status")),
            )
        ),
    ),
    successPolicy=Struct("SuccessPolicy", rules=LIST(Struct("SuccessPolicyRule", "succeededIndexes succeededCount"))),
    selector=LABEL_SELECTOR,
    template=POD_TEMPLATE_SPEC,
)
JOB_STATUS = Struct(
    "JobStatus",
    "startTime completionTime active succeeded failed terminating completedIndexes failedIndexes ready",
    conditions=LIST(_condition("JobCondition", "lastProbeTime")),
    uncountedTerminatedPods=Struct("UncountedTerminatedPods", "succeeded failed"),
)
CRON_JOB_SPEC = Struct(
    "CronJobSpec",
    "schedule timeZone startingDeadlineSeconds concurrencyPolicy suspend successfulJobsHistoryLimit "
    "failedJobsHistoryLimit",
    jobTemplate=Struct("JobTemplateSpec", metadata=OBJECT_META, spec=JOB_SPEC),
)
CRON_JOB_STATUS = Struct(
    "CronJobStatus", "lastScheduleTime lastSuccessfulTime", active=LIST(OBJECT_REFERENCE)
)

# --- autoscaling/v2 (and v1) ------------------------------------------------------------------

CROSS_VERSION_OBJECT_REFERENCE = Struct("CrossVersionObjectReference", "kind name apiVersion")
METRIC_IDENTIFIER = Struct("MetricIdentifier", "name", selector=LABEL_SELECTOR)
METRIC_TARGET = Struct("MetricTarget", "type value averageValue averageUtilization")
METRIC_VALUE_STATUS = Struct("MetricValueStatus", "value averageValue averageUtilization")
HPA_SCALING_RULES = Struct(
    "HPAScalingRules",
    "stabilizationWindowSeconds selectPolicy",
    policies=LIST(Struct("HPAScalingPolicy", "type value periodSeconds")),
)
HPA_SPEC = Struct(
    "HorizontalPodAutoscalerSpec",
    "minReplicas maxReplicas",
    scaleTargetRef=CROSS_VERSION_OBJECT_REFERENCE,
    metrics=LIST(
        Struct(
            "MetricSpec",
            "type",
            object=Struct(
                "ObjectMetricSource",
                describedObject=CROSS_VERSION_OBJECT_REFERENCE,
                target=METRIC_TARGET,
                metric=METRIC_IDENTIFIER,
            ),
            pods=Struct("PodsMetricSource", metric=METRIC_IDENTIFIER, target=METRIC_TARGET),
            resource=Struct("ResourceMetricSource", "name", target=METRIC_TARGET),
            containerResource=Struct("ContainerResourceMetricSource", "name container", target=METRIC_TARGET),
            external=Struct("ExternalMetricSource", metric=METRIC_IDENTIFIER, target=METRIC_TARGET),
        )
    ),
    behavior=Struct("HorizontalPodAutoscalerBehavior", scaleUp=HPA_SCALING_RULES, scaleDown=HPA_SCALING_RULES),
)
HPA_STATUS = Struct(
    "HorizontalPodAutoscalerStatus",
    "observedGeneration lastScaleTime currentReplicas desiredReplicas",
    currentMetrics=LIST(
        Struct(
            "MetricStatus",
            "type",
            object=Struct(
                "ObjectMetricStatus",
                metric=METRIC_IDENTIFIER,
                current=METRIC_VALUE_STATUS,
                describedObject=CROSS_VERSION_OBJECT_REFERENCE,
            ),
            pods=Struct("PodsMetricStatus", metric=METRIC_IDENTIFIER, current=METRIC_VALUE_STATUS),
            resource=Struct("ResourceMetricStatus", "name", current=METRIC_VALUE_STATUS),
            containerResource=Struct("ContainerResourceMetricStatus", "name container", current=METRIC_VALUE_STATUS),
            external=Struct("ExternalMetricStatus", metric=METRIC_IDENTIFIER, current=METRIC_VALUE_STATUS),
        )
    ),
    conditions=LIST(_condition("HorizontalPodAutoscalerCondition")),
)
HPA_V1_SPEC = Struct(
    "autoscaling/v1.HorizontalPodAutoscalerSpec",
    "minReplicas maxReplicas targetCPUUtilizationPercentage",
    scaleTargetRef=CROSS_VERSION_OBJECT_REFERENCE,
)
HPA_V1_STATUS = Struct(
    "autoscaling/v1.HorizontalPodAutoscalerStatus",
    "observedGeneration lastScaleTime currentReplicas desiredReplicas currentCPUUtilizationPercentage",
)

# --- rbac, storage, discovery, coordination ---------------------------------------------------

POLICY_RULE = Struct("PolicyRule", "verbs apiGroups resources resourceNames nonResourceURLs")
ROLE_REF = Struct("RoleRef", "apiGroup kind name")
SUBJECT = Struct("Subject", "kind apiGroup name namespace")
TOPOLOGY_SELECTOR_TERM = Struct(
    "TopologySelectorTerm",
    matchLabelExpressions=LIST(Struct("TopologySelectorLabelRequirement", "key values")),
)
ENDPOINT = Struct(
    "Endpoint",
    "addresses hostname nodeName zone",
    conditions=Struct("EndpointConditions", "ready serving terminating"),
    targetRef=OBJECT_REFERENCE,
    deprecatedTopology=MAP,
    hints=Struct("EndpointHints", forZones=LIST(Struct("ForZone", "name"))),
)
LEASE_SPEC = Struct(
    "LeaseSpec",
    "holderIdentity leaseDurationSeconds acquireTime renewTime leaseTransitions strategy preferredHolder",
)

# --- the kinds --------------------------------------------------------------------------------


def _object(kind: str, leaves: str = "", **typed: Type) -> Struct:
    """A top-level kind: TypeMeta (inlined), `metadata`, and its own fields."""
    return Struct(kind, "apiVersion kind " + leaves, metadata=OBJECT_META, **typed)


_HPA = _object("HorizontalPodAutoscaler", spec=HPA_SPEC, status=HPA_STATUS)
_CRON_JOB = _object("CronJob", spec=CRON_JOB_SPEC, status=CRON_JOB_STATUS)

# (apiVersion, kind) -> the kind's struct. The preferred versions of engine.registry.TYPES, the
# older versions it accepts (registry.EXTRA_VERSIONS), each with its own field set, and Scale.
KINDS: dict[tuple[str, str], Struct] = {
    ("v1", "Namespace"): _object("Namespace", spec=NAMESPACE_SPEC, status=NAMESPACE_STATUS),
    ("v1", "Node"): _object("Node", spec=NODE_SPEC, status=NODE_STATUS),
    ("v1", "Pod"): _object("Pod", spec=POD_SPEC, status=POD_STATUS),
    ("v1", "ReplicationController"): _object(
        "ReplicationController", spec=REPLICATION_CONTROLLER_SPEC, status=REPLICATION_CONTROLLER_STATUS
    ),
    ("v1", "Service"): _object("Service", spec=SERVICE_SPEC, status=SERVICE_STATUS),
    ("v1", "Endpoints"): _object("Endpoints", subsets=LIST(ENDPOINT_SUBSET)),
    ("v1", "ConfigMap"): _object("ConfigMap", "immutable", data=MAP, binaryData=MAP),
    ("v1", "Secret"): _object("Secret", "immutable type", data=MAP, stringData=MAP),
    ("v1", "ServiceAccount"): _object(
        "ServiceAccount",
        "automountServiceAccountToken",
        secrets=LIST(OBJECT_REFERENCE),
        imagePullSecrets=LIST(LOCAL_OBJECT_REFERENCE),
    ),
    ("v1", "ResourceQuota"): _object("ResourceQuota", spec=RESOURCE_QUOTA_SPEC, status=RESOURCE_QUOTA_STATUS),
    ("v1", "LimitRange"): _object("LimitRange", spec=LIMIT_RANGE_SPEC),
    ("v1", "PersistentVolumeClaim"): PERSISTENT_VOLUME_CLAIM,
    ("v1", "PersistentVolume"): _object(
        "PersistentVolume", spec=PERSISTENT_VOLUME_SPEC, status=PERSISTENT_VOLUME_STATUS
    ),
    ("v1", "Event"): _object(
        "Event",
        "reason message firstTimestamp lastTimestamp count type eventTime action reportingComponent "
        "reportingInstance",
        involvedObject=OBJECT_REFERENCE,
        source=EVENT_SOURCE,
        series=Struct("EventSeries", "count lastObservedTime"),
        related=OBJECT_REFERENCE,
    ),
    ("events.k8s.io/v1", "Event"): _object(
        "events.k8s.io/v1.Event",
        "eventTime reportingController reportingInstance action reason note type deprecatedFirstTimestamp "
        "deprecatedLastTimestamp deprecatedCount",
        series=Struct("events.k8s.io/v1.EventSeries", "count lastObservedTime"),
        regarding=OBJECT_REFERENCE,
        related=OBJECT_REFERENCE,
        deprecatedSource=EVENT_SOURCE,
    ),
    ("apps/v1", "ReplicaSet"): _object("ReplicaSet", spec=REPLICA_SET_SPEC, status=REPLICA_SET_STATUS),
    ("apps/v1", "Deployment"): _object("Deployment", spec=DEPLOYMENT_SPEC, status=DEPLOYMENT_STATUS),
    ("apps/v1", "DaemonSet"): _object("DaemonSet", spec=DAEMON_SET_SPEC, status=DAEMON_SET_STATUS),
    ("apps/v1", "StatefulSet"): _object("StatefulSet", spec=STATEFUL_SET_SPEC, status=STATEFUL_SET_STATUS),
    ("apps/v1", "ControllerRevision"): _object("ControllerRevision", "data revision"),
    ("batch/v1", "Job"): _object("Job", spec=JOB_SPEC, status=JOB_STATUS),
    ("batch/v1", "CronJob"): _CRON_JOB,
    ("batch/v1beta1", "CronJob"): _CRON_JOB,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): _HPA,
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): _HPA,
    ("autoscaling/v1", "HorizontalPodAutoscaler"): _object(
        "autoscaling/v1.HorizontalPodAutoscaler", spec=HPA_V1_SPEC, status=HPA_V1_STATUS
    ),
    ("rbac.authorization.k8s.io/v1", "Role"): _object("Role", rules=LIST(POLICY_RULE)),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): _object(
        "ClusterRole",
        rules=LIST(POLICY_RULE),
        aggregationRule=Struct("AggregationRule", clusterRoleSelectors=LIST(LABEL_SELECTOR)),
    ),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): _object("RoleBinding", subjects=LIST(SUBJECT), roleRef=ROLE_REF),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): _object(
        "ClusterRoleBinding", subjects=LIST(SUBJECT), roleRef=ROLE_REF
    ),
    ("storage.k8s.io/v1", "StorageClass"): _object(
        "StorageClass",
        "provisioner reclaimPolicy mountOptions allowVolumeExpansion volumeBindingMode",
        parameters=MAP,
        allowedTopologies=LIST(TOPOLOGY_SELECTOR_TERM),
    ),
    ("discovery.k8s.io/v1", "EndpointSlice"): _object(
        "EndpointSlice",
        "addressType",
        endpoints=LIST(ENDPOINT),
        ports=LIST(Struct("discovery/v1.EndpointPort", "name protocol port appProtocol")),
    ),
    ("coordination.k8s.io/v1", "Lease"): _object("Lease", spec=LEASE_SPEC),
    # The body of the `scale` subresource (deployments, replicasets, statefulsets, RCs).
    ("autoscaling/v1", "Scale"): _object(
        "Scale", spec=Struct("ScaleSpec", "replicas"), status=Struct("ScaleStatus", "replicas selector")
    ),
    # Reviews (create-only, answered from the authorizer chain).
    **{("authorization.k8s.io/v1", k): _object(k, spec=ANY, status=ANY) for k in (
        "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview", "LocalSubjectAccessReview")},
    ("authentication.k8s.io/v1", "SelfSubjectReview"): _object("SelfSubjectReview", status=ANY),
    # kubetape's own settings object: its spec and status are free-form.
    ("config.kubetape.io/v1alpha1", "Cluster"): _object("Cluster", spec=ANY, status=ANY),
}


def schema_for(api_version: str, kind: str) -> Struct | None:
    """The struct a body of this apiVersion and kind decodes into, or None for a type not served."""
    return KINDS.get((api_version, kind))
