"""The Endpoints and EndpointSlice controllers (upstream `pkg/controller/endpoint`,
`pkg/controller/endpointslice`) and the simulated load-balancer controller."""

from engine.controllers.endpoints.endpoints import EndpointsController
from engine.controllers.endpoints.loadbalancer import ServiceLBController
from engine.controllers.endpoints.slices import EndpointSliceController

__all__ = ["EndpointsController", "EndpointSliceController", "ServiceLBController"]
