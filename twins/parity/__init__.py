"""The parity checks, as a library: the test suite, ``twins compare`` and the exercise grader call them.

    a  every model is registered with both twins and a datamodule   (``twins.registry``)
    b  equal output shapes                                            ``checks.check_output_shapes``
    c  equal parameter counts, layer by layer                         ``checks.check_parameter_counts``
    d  equal outputs after copying the weights                        ``checks.check_forward``
    e  equal steps and loss trajectories from equal weights/batches   ``steps.check_one_step``,
                                                                      ``checks.check_trajectory``
    f  comparable converged losses over seeds                         ``checks.check_converged``

Each check measures, raises ``ParityError`` naming what differs, and returns its measurement.
Tolerances (``measure``) are measured on this project's models in float32 (docs/PARITY.md).
"""

from twins.parity.checks import (
    check_converged,
    check_forward,
    check_output_shapes,
    check_parameter_counts,
    check_trajectory,
    component_input,
    component_pairs,
    forward_max_abs_diff,
    networks,
    output_shapes,
)
from twins.parity.measure import (
    FORWARD_ATOL,
    STEP_RTOL,
    TRAJECTORY_RTOL,
    ParityError,
    keras_weights_in_torch_layout,
    relative_difference,
    torch_layout_tensors,
    without_dropout,
)
from twins.parity.steps import check_one_step, step_check

__all__ = [
    "FORWARD_ATOL",
    "STEP_RTOL",
    "TRAJECTORY_RTOL",
    "ParityError",
    "check_converged",
    "check_forward",
    "check_one_step",
    "check_output_shapes",
    "check_parameter_counts",
    "check_trajectory",
    "component_input",
    "component_pairs",
    "forward_max_abs_diff",
    "keras_weights_in_torch_layout",
    "networks",
    "output_shapes",
    "relative_difference",
    "step_check",
    "torch_layout_tensors",
    "without_dropout",
]
