"""Method 3: a custom loop with tf.GradientTape and tf.function, no compile."""

from core.training import train_with_custom_loop
from ui.method_page import method_page

method_page(
    "custom_loop",
    "3 · Custom training loop",
    """
No `compile`: the optimizer updates the weights directly from the gradients that
`tf.GradientTape` records, inside a `train_step` compiled by `tf.function`. This is
the most flexible way: every line of the step is yours. The metrics follow the
Keras lifecycle: created once, `update_state` every batch, `result()` when an epoch
ends, `reset_state()` before the next. Below, `train_step` and `valid_step` are the
two inner functions of the code that runs.
""",
    [(train_with_custom_loop, "The function that trains, with train_step and valid_step (this exact code runs)")],
)
