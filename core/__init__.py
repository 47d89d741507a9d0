"""Everything the app does, as plain Python: data, model, trainers, jobs, records, charts.

Nothing in this package imports Streamlit, so all of it runs and is tested
with pytest alone; `python -m core` trains from the command line.
"""

import os

# TensorFlow's C++ start-up chatter (oneDNN, CPU features) is noise to a reader.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The trainers are TensorFlow code (tf.data, tf.GradientTape): Keras must use that backend.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
