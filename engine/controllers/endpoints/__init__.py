"""The Endpoints and EndpointSlice controllers (upstream `pkg/controller/endpoint`,
`pkg/controller/endpointslice`, `pkg/controller/endpointslicemirroring`) and the simulated
load-balancer controller."""

from engine.controllers.endpoints.endpoints import EndpointsController
from engine.controllers.endpoints.loadbalancer import ServiceLBController
from engine.controllers.endpoints.mirroring import EndpointSliceMirroringController
from engine.controllers.endpoints.slices import EndpointSliceController

__all__ = ["EndpointsController", "EndpointSliceController", "EndpointSliceMirroringController", "ServiceLBController"]
