"""The run wing: everything that makes, shares and records a training run while it lives.

- `slots`: the server-wide cap on concurrent runs (first come, first served) and the measured pace;
- `handle`: the `RunHandle` protocol every kind of run answers, and the one `JobSnapshot` builder;
- `jobs`: a run in a worker thread of this process (`TrainingJob`);
- `ray_jobs` / `ray_cluster`: a run as a named actor on a Ray cluster (`RayTrainingJob`);
- `backend`: which of the two the app starts (`start_job`);
- `recorder`: the one component that writes runs and epochs to the store;
- `hub` / `watch`: one computation per distinct run, and a visitor's view over them.

Importing the package imports none of them: Ray and TensorFlow load only where a run needs them.
"""
