"""Re-export: the conversion lives in reducers/hpa_convert.py, where replay reproduces it."""

from reducers.hpa_convert import *  # noqa: F401,F403
from reducers.hpa_convert import cpu_metric, is_v1_shape, v1_to_v2  # noqa: F401
