"""The written parts of docs/benchmarks.md: what the numbers say, and the README section.

Figures quoted here come from the run's own summaries (each script's
--summary-json), so the text always matches the tables printed above it.
"""

from __future__ import annotations

import re


def pick(summaries: dict, bench: str, starts: str, default: str = "n/a") -> str:
    """The measured value of the first summary item of `bench` whose 'what' starts with `starts`."""
    for item in summaries.get(bench, []):
        if item["what"].startswith(starts):
            return str(item["value"])
    return default


def _getter(summaries: dict, misses: list | None):
    def get(bench: str, starts: str) -> str:
        value = pick(summaries, bench, starts)
        if value == "n/a" and misses is not None:
            misses.append((bench, starts))
        return value

    return get


def number(text: str) -> float | None:
    found = re.search(r"-?\d+(\.\d+)?", text)
    return float(found.group()) if found else None


def analysis(summaries: dict, misses: list | None = None) -> str:
    """The written analysis. Figures not found in `summaries` read "n/a" and are listed in `misses`."""
    s = summaries
    get = _getter(s, misses)
    methods = ("fit", "train_on_batch", "custom_loop")
    compiled = get("profile", "batch loop profile: share in the compiled step")
    own = get("profile", "batch loop profile: share in the app's own")
    freed = get("profile", "batch loop profile: share freeing iterators")
    ratios = {m: get("overhead", f"overhead, {m}: app") for m in methods}
    before = {m: get("overhead", f"overhead, {m}, before the fix") for m in methods}
    gains = {m: get("speed", f"speed option, {m}: reference") + "×" for m in methods}
    ceilings = {m: get("speed", f"speed option, {m}: one call per epoch") + "×" for m in methods}
    missed = [m for m in methods if (number(gains[m]) or 0) < 1.5]
    verdict = (
        "The 1.5× target is missed for every method."
        if len(missed) == 3
        else f"The 1.5× target is missed for {', '.join(missed)}."
        if missed
        else "The 1.5× target is met for every method."
    )
    ceiling_values = [number(ceilings[m]) for m in methods if number(ceilings[m])]
    ceiling_text = f"between {min(ceiling_values):.2f}× and {max(ceiling_values):.2f}×" if ceiling_values else "n/a"
    same = [item for item in s.get("accuracy", []) if item["what"].startswith("speed option")]
    same_text = (
        "every figure of every epoch equal to 4 decimals as well ("
        + ", ".join(f"{item['what'].split(':')[0].replace('speed option, ', '')}: {item['value']}" for item in same)
        + ")"
        if same and all(item["met"] for item in same)
        else "see the accuracy table"
    )
    first_median = get("responsiveness", "Train → first batch counted in the job, median")
    first_slowest = get("responsiveness", "Train → first batch counted in the job (slowest")
    epoch_worst = get("responsiveness", "epoch end")
    epoch_met = "Target met." if (number(epoch_worst) or 9) < 1.5 else "Target missed."
    rerun_slowest = get("responsiveness", "page rerun")
    bar_cold = get("memory", "real browser: Train click → progress bar on the page")
    counted_cold = get("memory", "real browser: Train click → counted batch on the page (fit, first run")
    counted_warm = get("memory", "real browser: Train click → counted batch on the page, median")
    prepared = get("train_latency", "real browser, runs prepared (default): Train click → counted batch")
    unprepared = get("train_latency", "real browser, runs not prepared (TRAINING_PREPARE_AHEAD=0): Train click")
    prepared_met = "Target met." if (number(prepared) or 9) <= 1.0 else "Target missed."
    memory = {
        key: get("memory", start)
        for key, start in (
            ("data", "server RSS after the data"),
            ("one", "server RSS, one run"),
            ("three", "server RSS, three runs"),
            ("growth", "server RSS growth"),
            ("core", "process RSS growth per run without the server"),
        )
    }
    accuracy = {m: get("accuracy", f"accuracy, {m}:") for m in methods}
    stalls = get("pipeline", "end-of-loop stalls, app's pipeline as shipped")
    stalls_before = get("pipeline", "end-of-loop stalls, app's pipeline before the fix")
    stalls_chapter = get("pipeline", "end-of-loop stalls, chapter's")
    return f"""
## What the numbers say

### 1. Overhead: the app costs nothing measurable on top of Keras

* **The app's own per-batch work is negligible.** In the py-spy profile of the batch loop,
  `BatchAverages.add`, the progress callback, the stop check and `len(y)` together take {own} of
  the training thread. The loop's time is the compiled step ({compiled} of samples, chapter / app),
  Keras's own work inside every `train_on_batch` call (resetting metrics, turning logs into floats:
  the same for both), fetching the next batch, tracing in epoch 1, and freeing iterators ({freed}).
* **What decided the ratio was tf.data's end-of-loop stall, now fixed in the app.** When a Python
  `for` loop over a tf.data dataset ends, the iterator is freed, and with tf.data autotuning on
  (TensorFlow's default) that can block until the autotuner's thread next wakes up, at
  10·(2^n − 1) ms after the loop began: 1.27, 2.55, 5.11 s. With epochs of 2.5 to 3.5 s here, a few
  percent of difference in loop length decides whether an epoch takes 2.7 s or 5.1 s (pipeline part 2:
  the app's pipeline before the fix {stalls_before}; the chapter's {stalls_chapter}; the app's
  pipeline as shipped, with autotuning off, {stalls}). `core.data.make_datasets` now sets
  `options.autotune.enabled = False` on both datasets: same order cache → shuffle → batch → prefetch,
  same batches (tested), same numbers; prefetch keeps its own buffer.
* **Result.** App / reference epoch time: fit {ratios["fit"]}, train_on_batch {ratios["train_on_batch"]},
  custom loop {ratios["custom_loop"]} (target ≤ 1.05); the app as it was before the fix, in the same
  rounds: {before["fit"]}, {before["train_on_batch"]}, {before["custom_loop"]}. A ratio below 1 means the
  chapter's code, which keeps TensorFlow's default, still pays the stall in some epochs; the CPU
  column, which the stall does not touch (a blocked thread burns nothing), is the like-for-like cost
  of the work and stays close to 1.
* **The pipelines differ, by design.** The app caches, then reshuffles every epoch; the chapter caches
  *after* the shuffle, so from epoch 2 on it replays epoch 1's batches in the same order. The
  pipeline table (part 1) puts the reshuffle at a few tens of milliseconds of CPU per epoch, under
  1 % of an epoch, in the baseline's favour.

### 2. Speed option: same numbers, but 1.5× is out of reach without changing the math

* **What it does.** fit passes `steps_per_execution` to `compile`; the batch loop calls the compiled
  function that `train_on_batch` wraps (`model.train_function`, fit's own inner loop) on k batches
  per call, lets the compiled metrics add up over the epoch, and validates with one `evaluate` call;
  the custom loop's `train_steps` `tf.function` runs k train steps per call. The figures are the
  plain run's: every figure of every epoch equal to 4 decimals on the fixture data for k = 5, 12, 32
  (`tests/test_speed_options.py`), and on the real data {same_text}.
  Progress still reaches each epoch's total, in steps of k.
* **Measured gain** against the chapter's code: fit {gains["fit"]}, train_on_batch
  {gains["train_on_batch"]}, custom loop {gains["custom_loop"]}. {verdict}
* **Why: the ceiling.** The speed table's last columns run the same train and test steps with the
  *whole epoch in one `tf.function` call*: no progress, no stop button, no Python at all between
  batches, the most any option that keeps the math can remove. It is {ceiling_text} faster than the
  chapter's code (fit {ceilings["fit"]}, train_on_batch {ceilings["train_on_batch"]}, custom loop
  {ceilings["custom_loop"]}), about what the speed option already gives. The profile says the same from
  the other side: the compiled step itself (forward, backward and the Nadam update of 332,856
  weights, in TensorFlow's kernels) is {compiled} of the batch loop's training thread, so removing
  everything else could give at most 100 / that share.
* **Tried and rejected, because the numbers change:** XLA (`jit_compile=True`), one intra-op thread
  instead of two (it uses about 30 % less CPU for the same wall time, but the validation accuracy
  moves in the 4th decimal: 0.6278 → 0.6273 after two epochs), oneDNN off (slower, and also changes
  the 4th decimal); bigger batches or float16 change the training itself. None is offered as
  "same numbers".

### 3. Responsiveness

* **Train → first progress.** The progress bar is on the page {bar_cold} after the click in a real
  browser (first run of the server), and in every run of the runs-in-a-row test (memory section).
  Until the first batch is counted the bar says that the training step is being traced into a
  TensorFlow graph, and the live view refreshes every 0.25 s instead of every second.
* **Train → first counted batch: {prepared} with the run prepared (target ≤ 1.0 s). {prepared_met}**
  A method page prepares a run for its settings while the visitor reads it (model built, first
  step traced and run, then held; `core.runs.hub.Hub.prepare`), and Train continues it: in a real
  browser the counted batch shows {prepared} after the click (median, `bench/train_latency.py`),
  against {unprepared} on a server with preparation off in the same run. Unprepared, the job counts
  its first batch {first_median} s after the click in AppTest (median of six runs; slowest
  {first_slowest} s) and a browser shows it after {counted_warm} (the memory section's runs in a row; {counted_cold} for the server's
  very first run): building the model and the pipelines takes tens of milliseconds, tracing the
  train step most of a second (breakdown table), and every run traces, because every run has its
  own model and step functions. Train's own page run waits up to 0.3 s for a prepared run's count,
  so it draws the count at once instead of a "tracing" bar and another page run.
* **Found on the way: Streamlit's file watcher.** For every session, each time `sys.modules`
  changes (TensorFlow imports lazily while the first runs trace), Streamlit's local-sources
  watcher resolved the real path of every loaded module, about 4,400 with TensorFlow, 0.37 s holding
  the GIL on the server's event loop; a py-spy profile of a Train click showed it as most of the main
  thread's work. `.streamlit/config.toml` now sets `server.fileWatcherType = "none"` (no reruns on
  save: while editing, run with `--server.fileWatcherType auto`).
* **Epoch end → chart point.** The job publishes an epoch's row within milliseconds; the page shows
  it at the next one-second tick after one fragment rerun: about half a second typically,
  {epoch_worst} s at worst (an epoch ending just after a tick, plus the slowest fragment rerun
  seen). {epoch_met}
* **Page reruns while a job trains** take tens of milliseconds (median) on every page, in the
  training session and in an idle one (slowest page: {rerun_slowest}); the tail values (p95) come
  from the machine's other load.

### 4. Memory

* A server holds {memory["data"]} once TensorFlow and the dataset are loaded, {memory["one"]} at the
  peak of one run, and {memory["three"]} with three runs training at once (three slots, so all three
  really trained together): target < 1.5 GB. Memory freed after runs is kept by the process
  (TensorFlow's and glibc's allocators reuse it rather than return it to the system), so the figure
  after the sessions close stays near the peak.
* **Runs in a row.** In the server, from one session, growth per run (first to last; slope over the
  second half): {memory["growth"]}. Each job now ends with a garbage collection and glibc's
  `malloc_trim` (`core.runs.jobs.release_free_memory`): before that, every run's new worker thread left
  freed memory in its own allocator arena and the readings bounced by tens of MB while creeping up
  (60 runs: 886 → 1052 MB, +1.8 MB per run over the second half). What is left is about the same in
  a process without the server ({memory["core"]} per run over the second half of 30 runs with a
  prediction pass each): the app's own objects stay constant (one job and at most three trained
  models per session, tested), so the residue is below the app, in TensorFlow's per-model state;
  not found yet. At that rate a thousand runs would add about half a gigabyte before a restart.

### 5. Accuracy

* Best and final validation accuracy: fit {accuracy["fit"]}, train_on_batch
  {accuracy["train_on_batch"]}, custom loop {accuracy["custom_loop"]}; the book printed 0.6398 / 0.6220,
  0.6345 / 0.6149 and 0.6514 / 0.6122. fit and the custom loop give identical figures, by design
  (same seed, same batches, same math); the batch loop departs from epoch 5, when it halves its
  learning rate. The book ran TensorFlow 2.1 with unseeded weights and one batch order for every
  epoch (its pipeline caches after the shuffle); the app reshuffles every epoch, so agreement in
  level and shape is what to expect, not equal digits.
"""


def readme_section(summaries: dict, misses: list | None = None, minutes: float | None = None) -> str:
    s = summaries
    get = _getter(s, misses)
    methods = ("fit", "train_on_batch", "custom_loop")
    gains = ", ".join(f"{m} {get('speed', f'speed option, {m}: reference')}×" for m in methods)
    ceilings = ", ".join(f"{get('speed', f'speed option, {m}: one call per epoch')}×" for m in methods)
    overhead = ", ".join(f"{m} {get('overhead', f'overhead, {m}: app')}" for m in methods)
    return f"""
`python bench/run_all.py` ({f"{minutes:.0f} minutes on two cores last time" if minutes else "about half an hour on two cores"}; `--quick` for a few) measures what the app
costs and gives against the chapter's own code ported to Keras 3 (`bench/reference_port.py`) and
writes [docs/benchmarks.md](docs/benchmarks.md) and the figures below. Set `REUTERS_NPZ_PATH` to a
copy of `reuters.npz` for real figures (fixture data otherwise). Each script in `bench/` also runs
alone (`--help`). Timings are ratios against that baseline, measured in the same process with the
variants interleaved, because the machines are shared. In the last run:

* **Overhead** of training through the app (worker thread, progress, stop, a page polling once a
  second) against the bare chapter code, epoch time: {overhead} (target ≤ 1.05). tf.data's
  autotuner is off in the app's pipelines: freeing an epoch's iterator could wait for its next
  wake-up (up to 2.5 s).
* **Speed option** (*Steps per execution*): the same figures to 4 decimals, {gains} faster than the
  chapter's code. The 1.5× hoped for is out of reach without changing the math: even the whole epoch
  in one compiled call is only {ceilings} faster; the compiled step itself is most of the time.
* **Responsiveness**: Train → the first counted batch on the page takes {get("train_latency", "real browser, runs prepared (default): Train click → counted batch")}
  in a real browser (median, target ≤ 1.0 s), because the page prepares the run while the visitor reads it;
  {get("train_latency", "real browser, runs not prepared (TRAINING_PREPARE_AHEAD=0): Train click")} without preparing (tracing the train step, once per run, is most of it).
  An epoch's point reaches the page at worst
  {get("responsiveness", "epoch end")} s after the epoch ends, and page reruns while a job trains
  take {get("responsiveness", "page rerun")} (slowest page, median).
* **Memory** of a server: {get("memory", "server RSS, three runs")} at the peak with three runs
  training at once (target < 1.5 GB); growth per run over runs in a row (first to last; second-half slope): {get("memory", "server RSS growth")}.
* **Accuracy** at the defaults: best / final validation accuracy fit {get("accuracy", "accuracy, fit")},
  train_on_batch {get("accuracy", "accuracy, train_on_batch")}, custom loop
  {get("accuracy", "accuracy, custom_loop")}; the book's 0.6398 / 0.6220, 0.6345 / 0.6149, 0.6514 / 0.6122.
"""
