"""Method 3: a custom loop with tf.GradientTape and tf.function, no compile."""

from ui.method_page import method_page

method_page("custom_loop", "custom_loop.title", "custom_loop.intro", [("train_with_custom_loop", "source.custom_loop.main")])
