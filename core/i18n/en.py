"""English: every text the app shows. Keys match `zh.py` one for one (tests/test_i18n.py checks)."""

EN: dict[str, str] = {
    # -- the app and its navigation
    "app.title": "{Method_count} ways to train a Keras model",
    "nav.home": "Home",
    "nav.fit": "model.fit",
    "nav.train_on_batch": "train_on_batch",
    "nav.custom_loop": "Custom loop",
    "nav.compare": "Compare",
    "language.label": "Language / 语言",
    # method names in sentences (the code names stay)
    "method.fit": "model.fit",
    "method.train_on_batch": "train_on_batch loop",
    "method.custom_loop": "custom loop (GradientTape)",
    "page.fit": "model.fit",
    "page.train_on_batch": "train_on_batch",
    "page.custom_loop": "Custom loop",
    "page.compare": "Compare",
    "page.another": "another",
    # -- home
    "home.intro": """
The same network, trained on the same Reuters newswires, {method_count} ways: the three of the
chapter *训练模型的3种方法* (TensorFlow 2.1), ported to TensorFlow 2.21 / Keras 3, and the one
Keras' own guide adds between them:

1. **`model.fit`**: Keras runs the loop; you steer it through callbacks.
2. **A `train_on_batch` loop**: you run the loop and can act between any two batches
   (here the learning rate halves at epoch 5).
3. **A custom loop**: `tf.GradientTape` inside a `tf.function`, no `compile` at all.
4. **`fit` with your own `train_step`**: you write what happens to one batch; `fit` keeps
   the loop, validation and callbacks.

Each page shows the exact code that runs, trains live in your browser, and keeps
going while you click around. Settings in the sidebar apply to every page.
""",
    "table.method": "Method",
    "table.control": "Control",
    "table.flexibility": "Flexibility",
    "table.lines": "Lines of code",
    "table.when": "When to use",
    "table.fit.name": "model.fit",
    "table.fit.control": "Through callbacks",
    "table.fit.flexibility": "Lowest: Keras runs the loop",
    "table.fit.when": "Choose it first: standard training, where callbacks (early stopping, schedules, checkpoints) give all the control you need.",
    "table.train_on_batch.name": "train_on_batch loop",
    "table.train_on_batch.control": "Per batch, in your loop",
    "table.train_on_batch.flexibility": "Medium: change anything between batches",
    "table.train_on_batch.when": "When you must act between batches in plain Python (a schedule, data logic) and a callback makes it awkward, while Keras' own step is fine.",
    "table.custom_loop.name": "Custom loop (GradientTape)",
    "table.custom_loop.control": "Every line of the step",
    "table.custom_loop.flexibility": "Highest: no compile, your own step",
    "table.custom_loop.when": "When fit's loop itself is in the way: several models or optimizers, unusual loops, research code where you want every line.",
    "home.link.fit": "model.fit",
    "home.link.train_on_batch": "train_on_batch loop",
    "home.link.custom_loop": "Custom loop",
    "home.link.compare": "Compare all {method_count}",
    "home.upload_expander": "Use another reuters.npz (for your session only)",
    "home.data_title": "The data: Reuters newswires",
    "home.metric.train": "Training newswires",
    "home.metric.test": "Test newswires",
    "home.metric.vocab": "Vocabulary (largest id + 1)",
    "home.metric.topics": "Topics",
    "home.topics_note": "**Topics**: a few topics hold most newswires (`earn`, `acq`).",
    "home.length_note": "**Length** of each newswire in tokens, and the `max_len = {max_len}` cut.",
    "home.sample": "A sample newswire (topic: {topic})",
    "home.no_word_index": "The word index is not available, so here are the token ids (set REUTERS_WORD_INDEX_PATH to see words).",
    "home.model_title": "The model",
    "home.loading_tf": "Loading TensorFlow…",
    "home.model_caption": "Total parameters: {total}. Nadam, sparse categorical cross-entropy, accuracy and top-5 accuracy.",
    # -- the data panel
    "data.preparing": "Preparing the Reuters newswires (once per server)…",
    "data.unavailable": "**The Reuters dataset is not available.**",
    "data.how_to": (
        "{problem}\n\n"
        "- Set `{env}` to the path of a `reuters.npz` before starting the app, or\n"
        "- put `reuters.npz` in the Keras cache: `{cache}`, or\n"
        "- upload a `reuters.npz` below: it is checked without running anything inside it, "
        "and used for your session only."
    ),
    "data.upload": "Upload reuters.npz",
    "data.using_upload": "Using your upload `{name}` for this session.",
    "data.forget_upload": "Go back to the default data",
    # -- settings
    "settings.heading": "**Training settings** (all pages)",
    "settings.epochs": "Epochs",
    "settings.batch": "Batch size",
    "settings.max_len": "Tokens per newswire (max_len)",
    "settings.max_len_help": "Newswires are pre-padded with zeros or cut to this many tokens.",
    "settings.lr": "Learning rate (Nadam)",
    "settings.seed": "Seed",
    "settings.seed_help": "Initial weights and batch order depend on the seed alone: same seed, same run.",
    "settings.options": "Method options",
    "settings.halving": "train_on_batch: halve the learning rate at epoch (0 = never)",
    "settings.early": "fit: EarlyStopping patience (0 = off)",
    "settings.early_help": "Stop when val_loss has not improved for this many epochs (fit, and fit with your own train_step).",
    "settings.plateau": "fit: ReduceLROnPlateau patience (0 = off)",
    "settings.plateau_help": "Halve the learning rate when val_loss stalls for this many epochs (fit, and fit with your own train_step).",
    "settings.steps": "Steps per execution (speed)",
    "settings.steps_help": (
        "Run several batches per compiled call: identical numbers, fewer Python round trips. "
        "The progress bar then moves in steps."
    ),
    "settings.apply": "Apply settings",
    "settings.applied": "Settings applied.",
    "settings.reset": "Reset to the chapter's settings",
    "settings.link_caption": "The page's address now holds these settings: copy it to share them.",
    "settings.link_ignored": "Ignored in the link (not valid settings): {keys}.",
    # -- training controls and status
    "run.train": "Train",
    "run.train_all": "Train all {method_count}",
    "run.stop": "Stop",
    "run.refused": (
        "One run at a time per session: {methods} is still {state} (started on the {where} page). "
        "Stop it there, or wait for it to end."
    ),
    "run.waiting": (
        "Waiting for a free training slot: {in_use} of {capacity} are busy on this server. "
        "Your run starts by itself as soon as one frees up."
    ),
    "run.progress": "{method}{position} · epoch {epoch}/{epochs} · batch {batch}/{batches}{left}",
    "run.position": " ({number} of {count})",
    "run.left": " · about {seconds} s left in this epoch",
    "run.tracing": " · tracing the training step into a TensorFlow graph (about a second, once per run)",
    "run.finished": "Finished: {done} epochs in {seconds} s. {message}",
    "run.stopped": "Stopped. {message} The {done} finished epochs are kept below.",
    "run.failed": "The run failed: {message}\n\nThe {done} epochs it finished are kept below.",
    "message.stopped_during": "Stopped by request during epoch {epoch}.",
    "message.stopped_before_first": "Stopped by request before the first epoch.",
    "message.stopped_between": "Stopped by request before the next method started.",
    "message.stopped_waiting": "Stopped before a training slot became free.",
    "message.left_watching": "You stopped watching; the run goes on for {others} other viewer(s) with identical settings.",
    "message.early_stopping": "Early stopping ended the run after epoch {epoch}.",
    "message.worker_lost": "The training worker was lost.",
    "run.elsewhere": (
        "Your {methods} run keeps training on the {where} page (epoch {epoch}/{epochs}). "
        "Its charts are there; it goes on while you look around."
    ),
    "state.waiting": "waiting",
    "state.running": "running",
    "method_page.settings_line": (
        "{epochs} epochs · batch {batch} · max_len {max_len} · learning rate {lr} · seed {seed} "
        "— change them in the sidebar."
    ),
    "method_page.empty": "Press **Train**: a point appears on the charts at the end of every epoch.",
    "epochs_finished": "{done} of {planned} epochs finished.",
    "epochs_finished_first": "{done} of {planned} epochs finished; the first point appears when the first epoch ends.",
    # -- tables and downloads
    "col.epoch": "Epoch",
    "col.loss": "Loss",
    "col.accuracy": "Accuracy",
    "col.top5": "Top-5",
    "col.val_loss": "Val loss",
    "col.val_accuracy": "Val accuracy",
    "col.val_top5": "Val top-5",
    "col.lr": "Learning rate",
    "col.seconds": "Seconds",
    "col.finished_at": "Finished at",
    "download.csv": "Download CSV",
    "download.json": "Download JSON",
    "summary.run": "run",
    "summary.method": "method",
    "summary.status": "status",
    "summary.best": "best val accuracy",
    "summary.best_epoch": "epoch of best",
    "summary.final": "final val accuracy",
    "summary.final_top5": "final val top-5",
    "summary.per_epoch": "seconds per epoch",
    "summary.total": "total seconds",
    "source.fit.main": "The function that trains (this exact code runs)",
    "source.fit.callback": "The callback that reports progress and honours Stop",
    "source.fit.control": "The optional control callbacks",
    "source.train_on_batch.main": "The function that trains (this exact code runs)",
    "source.train_on_batch.averages": "How batch results become epoch figures",
    "source.custom_loop.main": "The function that trains, with train_step and valid_step (this exact code runs)",
    # -- method pages
    "fit.title": "model.fit",
    "fit.intro": """
`model.fit` is the most powerful built-in way to train: it takes NumPy arrays, a
`tf.data.Dataset` or a Python generator, runs the loop for you, and lets you steer
it **through callbacks**. This page's progress bar and charts come from a callback
(`ReportToRun`); in the sidebar's *Method options* you can add `EarlyStopping`
or `ReduceLROnPlateau` and watch their effect on the curves.
""",
    "train_on_batch.title": "train_on_batch loop",
    "train_on_batch.intro": """
More flexible than `fit`: **you** write the loop over epochs and batches and call
`model.train_on_batch` / `model.test_on_batch`, so you can change anything between
two batches without a callback. As in the chapter, the learning rate is halved when
epoch 5 starts (the dashed rule on the charts; set the epoch in *Method options*).

Keras 3.15 resets the metrics at every `train_on_batch` call, so each call returns
one batch's figures; the loop averages them over the epoch (weighted by batch size)
to report the same epoch figures as `fit`. The chapter, written for TF 2.1, printed
the *last batch* only, which is why its train accuracy reads 0.909 = 20/22.
""",
    "custom_loop.title": "Custom training loop",
    "custom_loop.intro": """
No `compile`: the optimizer updates the weights directly from the gradients that
`tf.GradientTape` records, inside a `train_step` compiled by `tf.function`. This is
the most flexible way: every line of the step is yours. The metrics follow the
Keras lifecycle: created once, `update_state` every batch, `result()` when an epoch
ends, `reset_state()` before the next. Below, `train_step` and `valid_step` are the
two inner functions of the code that runs.
""",
    # -- compare page
    "compare.title": "Compare the {method_count} methods",
    "compare.intro": """
One job trains every method one after the other, **with identical settings**: the same
initial weights and the same batches in the same order. `fit`, the custom loop and `fit`
with your own `train_step` trace the same curve, because they do the same math (below,
how far apart their figures are); with the learning-rate halving off (*Method options* → 0)
the batch loop does too, else it differs only by its learning-rate schedule. Below, overlay runs saved earlier and the
curves printed in the book the app is built from.
""",
    "compare.first_points": "The first points appear when the first epoch ends.",
    "compare.empty": "Press **Train all {method_count}** to run the methods one after the other.",
    "compare.overlay_title": "Overlay saved runs and the book",
    "compare.saved_runs": "Runs to overlay on the chart",
    "compare.book_toggle": "The book's printed curves (TF 2.1)",
    "compare.book_caption": (
        "The book's train_on_batch train figures are plotted as printed: its last batch only (22 newswires), "
        "not the epoch. Its custom loop printed no top-5, so those points are missing rather than invented."
    ),
    "compare.epochs_word": "epochs",
    # -- what the model learned
    "learned.title": "What the model learned",
    "learned.none": "Train a run on this page: its trained model is kept for this session and explored here.",
    "learned.none_compare": "Train the {method_count} methods (or each on its page): their models are compared here on the same newswire.",
    "learned.model_caption": "Model of the run **{label}** ({epochs} epochs): test accuracy {accuracy}.",
    "learned.other_data": (
        "The model of {label} was trained with other data or another max_len ({max_len}); "
        "it is shown on that data."
    ),
    "learned.predicting": "Running the model over the {count} test newswires (once per trained model)…",
    "learned.tab_one": "One newswire",
    "learned.tab_errors": "Where it goes wrong",
    "learned.pick": "Test newswire (0 to {last})",
    "learned.random": "Random newswire",
    "learned.true_topic": "True topic: **{topic}** · predicted: **{predicted}** ({probability})",
    "learned.right": "right",
    "learned.wrong": "wrong",
    "learned.words": "The newswire as words",
    "learned.token_ids": "The newswire as token ids (the word index is not available: set REUTERS_WORD_INDEX_PATH to see words)",
    "learned.top5": "The model's five most probable topics",
    "learned.confusion_title": "Confusion over the {topics} topics (test set)",
    "learned.confusion_caption": (
        "Rows are the true topic, columns the predicted one; the colour is on a log scale so that single "
        "newswires still show. The diagonal is what the model gets right."
    ),
    "learned.pairs_title": "Most confused pairs",
    "learned.pairs_true": "true topic",
    "learned.pairs_predicted": "predicted as",
    "learned.pairs_count": "newswires",
    "learned.pairs_share": "share of the true topic",
    "learned.pairs_none": "No newswire was put under a wrong topic.",
    "learned.per_topic_title": "Accuracy per topic against how often the topic occurs",
    "learned.plateau": (
        "Why accuracy levels off: the two biggest topics hold {share_head} of the test newswires and the model "
        "gets {accuracy_head} of them right, but only {accuracy_rest} of the rest; {never_right} of the "
        "{topics} topics are never predicted correctly. Rare topics have too few examples to learn, so more "
        "epochs mostly fit the training set better (its accuracy keeps rising) while test accuracy stays put."
    ),
    "learned.compare_caption": "The same test newswire through each method's latest model in this session.",
    "learned.compare_missing": "No trained {method} model in this session yet.",
    # -- chart labels
    "chart.true_topic": "True topic",
    "chart.predicted_topic": "Predicted topic",
    "chart.newswires": "Newswires",
    "chart.share": "Share of the true topic",
    "chart.test_newswires": "Test newswires of the topic (log scale)",
    "chart.accuracy": "Accuracy on the topic",
    "chart.overall": "overall accuracy",
    "chart.topic": "Topic",
    "chart.train_newswires": "Training newswires",
    "chart.times_predicted": "Times predicted",
    # -- a class on one server (issue 11)
    "run.train_fresh": "Train again and watch it live",
    "run.queued": "In the queue: number {position} ({ahead} ahead of you). {eta} Your run starts by itself.",
    "run.eta": "It should start in about {seconds} s (from the time epochs take on this server).",
    "run.eta_unknown": "An estimate appears once this server has timed an epoch.",
    "run.joined": (
        "{method}: you joined a run with identical settings that was already training: its epochs so far, then "
        "every batch and epoch live. It took no extra training slot."
    ),
    "run.cached": (
        "{method}: shown from an identical run trained at {when}. Training is deterministic, so a new run gives "
        "the same numbers; press **Train again and watch it live** to see them come in."
    ),
    "class.default_name": "student {number}",
    "class.name_label": "Your name in the class",
    "runs.private_caption": "Your runs ({count}), and the results of identical runs you used. Nobody else sees them.",
    "runs.class_caption": "The class's runs ({count}), everyone's, under the names they typed.",
    "runs.may_vanish": "These runs are kept on this server's own disk, which a restart of this server (on Community Cloud: a reboot, a redeploy, or the sleep after 12 hours without visitors) wipes. Download what you want to keep; the app's owner can keep runs for good with a database (`DATABASE_URL`, see the README).",
    "runs.store_error": "The saved runs cannot be read right now: {error}",
    "runs.download_all": "Download all these runs (zip)",
    "runs.import": "Import runs (a run's JSON, or a zip from 'Download all')",
    "runs.how.trained": "trained",
    "runs.how.joined": "joined live",
    "runs.how.cached": "identical earlier run",
    "runs.how.imported": "imported",
    "runs.col.name": "name",
    "runs.col.method": "method",
    "runs.col.how": "how",
    "runs.col.status": "status",
    "runs.col.epochs_done": "epochs done",
    "runs.col.best": "best val accuracy",
    "runs.col.final": "final val accuracy",
    "runs.col.started": "started",
    # -- ui14
    "settings.pending": "Changed, not applied yet: {fields}. Runs use the applied settings until you press **Apply settings**.",
    "method_page.code_title": "The code that runs",
    # -- cmp13
    "page.sweep": "Sweep",
    "chart.cmp.loss": "Loss",
    "chart.cmp.accuracy": "Accuracy",
    "chart.cmp.top5_accuracy": "Top-5 accuracy",
    "chart.cmp.epoch": "Epoch",
    "chart.cmp.step": "Batch (step)",
    "chart.cmp.run": "Run",
    "chart.cmp.split": "Split",
    "chart.cmp.series": "Curve",
    "chart.cmp.method": "method",
    "chart.cmp.value": "value",
    "chart.cmp.learning_rate": "Learning rate",
    "chart.cmp.seconds": "seconds",
    "chart.cmp.note": "note",
    "chart.cmp.train": "train",
    "chart.cmp.validation": "validation",
    "chart.cmp.reported": "what the method reports",
    "chart.cmp.mean": "running mean over the epoch",
    "chart.cmp.smoothed": "smoothed",
    "chart.cmp.raw": "raw",
    "chart.cmp.lr_halves": "learning rate halves",
    "chart.cmp.final_val_accuracy": "Final validation accuracy",
    "chart.cmp.best_val_accuracy": "Best validation accuracy",
    "chart.cmp.batch_loss": "Training loss per batch",
    "chart.cmp.batch_accuracy": "Training accuracy per batch",
    "cmp.method.fit": "fit",
    "cmp.method.train_on_batch": "batch loop",
    "cmp.method.custom_loop": "custom loop",
    "cmp.setting.learning_rate": "lr",
    "cmp.setting.batch_size": "batch",
    "cmp.setting.epochs": "epochs",
    "cmp.setting.max_len": "max_len",
    "cmp.setting.seed": "seed",
    "cmp.setting.shuffle_buffer": "shuffle",
    "cmp.setting.lr_halving_epoch": "halving",
    "cmp.setting.early_stopping_patience": "early stop",
    "cmp.setting.reduce_lr_patience": "reduce lr",
    "cmp.table_help": "Tick rows (the boxes at the left) to overlay those runs below; click a heading to sort by it.",
    "cmp.select_hint": "Tick one or more runs in the table to draw them here.",
    "cmp.col.label": "label",
    "cmp.chart_help": (
        "Click a run in a legend to highlight it (shift-click adds more, a click elsewhere clears); drag or "
        "scroll in a chart to zoom along the epochs, double-click to reset; hover to read every run at an epoch."
    ),
    "cmp.agree": (
        "**{fit}** and **{custom}** start from the same weights and see the same batches: over {epochs} epochs "
        "they agree to {decimals} decimals. Largest difference: {differences}. They do the same math, so their "
        "lines coincide: the first run's wider line shows around the narrower one."
    ),
    "cmp.differ": (
        "**{fit}** and **{custom}** start from the same weights and see the same batches, but train with a "
        "different learning rate or fit's callbacks: largest difference over {epochs} epochs: {differences}."
    ),
    "cmp.diff.loss": "loss",
    "cmp.diff.accuracy": "accuracy",
    "cmp.diff.top5_accuracy": "top-5 accuracy",
    "cmp.diff.val_loss": "validation loss",
    "cmp.diff.val_accuracy": "validation accuracy",
    "cmp.diff.val_top5_accuracy": "validation top-5 accuracy",
    "cmp.batch_title": "Per batch",
    "cmp.smoothing": "Smoothing",
    "cmp.smoothing_help": "An exponential moving average, as in TensorBoard: 0 shows the raw values, 0.99 the smoothest curve.",
    "cmp.batch_caption.train_on_batch": (
        "In Keras 3.15 each `train_on_batch` call returns **that one batch's** loss and accuracy, so the "
        "reported curve jumps from batch to batch. `fit` reports the **running mean over the epoch so far** "
        "instead: smooth, and it starts again at every epoch. This loop keeps that mean itself (`BatchAverages`); "
        "both are drawn, faint raw and smoothed over them."
    ),
    "cmp.batch_caption.other": (
        "What the method reports after each step is already the running mean over the epoch so far, so the two "
        "curves coincide; the batch-loop page shows them apart."
    ),
    "cmp.batch_overlay": "What each selected run reported after every batch (stored runs keep up to 1,000 points each).",
    "cmp.no_batches": "No per-batch curve yet: points appear after the first batches.",
    "cmp.downloads": "Download the selected runs and charts",
    "cmp.download_runs": "Runs (zip of CSV and JSON)",
    "cmp.download_chart": "{chart} ({format})",
    "sweep.title": "Sweep one setting",
    "sweep.intro": (
        "What happens if you change one setting? Pick a method, a setting and 2 to 5 values: one press trains "
        "them one after the other (identical runs are reused), **Stop** ends the whole sweep."
    ),
    "sweep.method": "Method",
    "sweep.setting": "Setting to vary",
    "sweep.values": "Values (2 to 5; type your own and press Enter)",
    "sweep.train": "Train the sweep",
    "sweep.empty": "Press **Train the sweep**: each run's curves appear below, with final accuracy against the value.",
    "sweep.invalid": "This sweep cannot be trained: {problems}",
    "sweep.bad_value": "{value} is not a valid value here ({reason})",
    "sweep.base": "The other settings are the sidebar's: {settings}.",
    "sweep.setting.learning_rate": "learning rate",
    "sweep.setting.batch_size": "batch size",
    "sweep.setting.epochs": "epochs",
    "sweep.setting.max_len": "max_len (tokens kept)",
    "sweep.setting.seed": "seed",
    # -- importing run files: one report per file (core.exchange's reasons, ui.saved_runs)
    "import.summary": "**{name}**: imported {imported} run(s), skipped {skipped}.",
    "import.refused": "**{name}**: nothing imported: {reason}.",
    "import.more": "and {count} more",
    "import.why.file_size": "the file is {mb} MB, and run files are at most {limit_mb} MB",
    "import.why.zip_names": "the zip's file names are not valid UTF-8, so its contents cannot be listed",
    "import.why.zip_unreadable": "it is neither a run's JSON nor a readable zip",
    "import.why.zip_members": "the zip holds {count} files, and at most {limit} are read",
    "import.why.zip_empty": "the zip holds no run records (.json files)",
    "import.why.unexpected": "it could not be read",
    "import.why.quota": "{message} Nothing of this file was kept.",
    "import.why.not_saved": "the runs could not be saved ({error}), so none of them was kept; try again later",
    "import.why.not_a_record": "not a run record (only .json files are read)",
    "import.why.too_many_runs": "{count} more run(s) not read: a file brings at most {limit} runs",
    "import.why.zip_total": "{count} more run(s) not read: a zip's files unpack to at most {limit_mb} MB together",
    "import.why.member_size": "{kb} KB unpacked is too large for a run (at most {limit_kb} KB)",
    "import.why.member_size_lied": "larger unpacked than the zip says (at most {limit_kb} KB are read)",
    "import.why.member_unreadable": "damaged in the zip: it cannot be unpacked",
    "import.why.not_json": "not JSON text (UTF-8)",
    "import.why.too_deep": "its JSON is nested too deep to be a run record",
    "import.why.not_object": "not a run record (the JSON is not an object)",
    "import.why.field_missing": "not a run record: {field} is missing",
    "import.why.field_type": "not a run record: {field} holds the wrong kind of value",
    "import.why.method": "unknown method {method} (known: {known})",
    "import.why.status": "not a run record: its status is not running, finished, stopped or failed",
    "import.why.settings_method": "its settings name another method than the run",
    "import.why.settings": "settings no run can have: {problems}",
    "import.why.too_many_epochs": "{count} epochs, but its settings plan {planned}",
    "import.why.epoch_row": "epoch row {position} is not an epoch's figures",
    "import.why.epoch_number": "epoch row {position}: the epoch number is not between 1 and {planned}",
    "import.why.epoch_order": "epoch {epoch} comes twice or out of order (epochs must go up)",
    "import.why.epoch_figure": "epoch {epoch}: {field} is not a number a run can produce",
    "import.why.time": "{field} is not a date and time",
    "import.why.batches": "its per-batch curve is not a list of up to 1,000 points of six numbers with rising steps",
    # -- a budget per run and per visitor (core/budget.py, ui/budget.py)
    "budget.estimate": (
        "Estimated cost of this run: about {memory} of memory at its peak and {duration} of training. "
        "This server allows {limit_memory} per run and {limit_duration} per press of Train."
    ),
    "budget.estimate_total": (
        "Estimated cost of these {runs} runs: about {memory} of memory at the peak of the largest and {duration} "
        "of training in all. This server allows {limit_memory} per run and {limit_duration} per press of Train."
    ),
    "budget.seconds": "{value} s",
    "budget.minutes": "{value} min",
    "budget.hours": "{value} h",
    "budget.refused.memory": (
        "Too large for this server: this run would need about {need} of memory, over the {limit} each run may use. "
        "Lower `{setting}` to at most {largest}."
    ),
    "budget.refused.time": (
        "Too long for this server: this would train for about {need} in all ({runs} run(s); a comparison or a sweep "
        "counts as the total of its runs), over the {limit} one press of Train may take. Lower `{setting}` to at "
        "most {largest}, or train fewer runs."
    ),
    "budget.refused.visitor_runs": (
        "You already have {active} run(s) waiting or training (in this tab or another), as many as this server "
        "allows each visitor ({limit}). Wait for it to end, or stop it, then press Train again."
    ),
    "budget.refused.queue_full": (
        "The training queue is full: {waiting} runs are waiting for a slot, this server's limit ({limit}). "
        "Nothing was started; press Train again when a run has ended."
    ),
    "budget.link_refused": "The link's settings were not applied. {reason}",
    # -- identity that lasts, classes that are opened (issue 21)
    "class.code_refused": "That is not a class code (a class code looks like `kx7m-3pq9-td2a`), so your runs stay private.",
    "class.private": (
        "Your runs are private to this browser: they are kept across reloads and restarts. Join a class with its "
        "code, or open one for your students."
    ),
    "class.in_class": "Class **{name}** (`{code}`): everyone with this code sees the class's runs.",
    "class.unknown": (
        "No class with the code \"{code}\" was opened on this server, so nothing was joined. Check the code with your teacher."
    ),
    "class.slow_down": "Too many wrong class codes: try again in {seconds} s.",
    "class.server_slow_down": "This server has had many wrong class codes in the last minute: try again in {seconds} s.",
    "class.teacher_refused": "The teacher part of this link is not valid: you joined the class as a student.",
    "class.join_title": "Join or open a class",
    "class.code_label": "Class code",
    "class.join": "Join",
    "class.name_new_label": "Name of a new class (optional)",
    "class.open": "Open a class",
    "class.leave": "Back to my private runs",
    "class.read_only_closed": "This class is closed: its runs stay visible here, and the runs you train now are private.",
    "class.read_only_legacy": (
        "This class code comes from an earlier version of the app: its runs stay visible here, read-only, and the "
        "runs you train now are private. Ask your teacher for a new class."
    ),
    "class.teacher_title": "Teacher: manage this class",
    "class.share_link": "Send your students this link (or read them the code):",
    "class.show_teacher_link": "Show the teacher link",
    "class.teacher_link_warning": (
        "The teacher link lets whoever has it rename, empty and close the class. Keep it to yourself: do not send it "
        "to students. This browser stays the class's teacher without it."
    ),
    "class.teacher_by_browser": "This browser opened the class, so it manages it. The teacher link was shown when it was opened.",
    "class.rename_label": "Class name",
    "class.rename": "Rename",
    "class.renamed": "The class was renamed.",
    "class.remove_label": "Runs to take out of the class",
    "class.remove": "Remove from the class",
    "class.too_many": "You have opened {limit} classes already, as many as one visitor may on this server. Use one of them, or ask the server's owner to raise `TRAINING_CLASSES_PER_VISITOR`.",
    "class.removed": "{count} run(s) taken out of the class.",
    "class.close_confirm": "Yes, close this class for good",
    "class.close": "Close the class",
    "class.closed_now": "The class is closed: its runs stay visible to its link, and nobody can add new ones.",
    "identity.title": "Your private runs on another device",
    "identity.explain": (
        "This browser keeps a private key that finds your runs. To see them on another device, open your private "
        "link there."
    ),
    "identity.show": "Show my private link",
    "identity.warning": (
        "Anyone with this link sees your private runs and can add to them. Do not share it: it is not a class link. "
        "Open it only on your own devices."
    ),
    "identity.key_refused": "The private key in the link is not valid: this browser keeps its own.",
    "identity.key_adopted": "This browser now uses the private key from your link: your runs from that device are here.",
    "identity.key_pending": (
        "The link carries another private key, but this browser already has runs under its own. Switch to the "
        "link's key? The runs here stay under this browser's key (open its private link to come back to them)."
    ),
    "identity.use_link_key": "Use the link's key",
    "identity.keep_key": "Keep this browser's key",
    # -- fair quotas and runs that end honestly (issue 21)
    "message.interrupted": (
        "Interrupted: the process training it ended (a server restart or a lost worker). Its finished epochs are kept."
    ),
    "message.quota_visitor": (
        "Refused: your quota of {limit} runs is full ({used} kept, {wanted} new). Only your own finished private "
        "runs are ever removed to make room, and not enough of them can go."
    ),
    "message.quota_class": (
        "Refused: this class's quota of {limit} runs is full ({used} kept, {wanted} new). Only your own finished "
        "runs in this class are ever removed to make room, and not enough of them can go: ask your teacher."
    ),
    "message.quota_server": (
        "Refused: this server's quota of {limit} runs is full ({used} kept, {wanted} new). Only your own finished "
        "private runs are ever removed to make room, and not enough of them can go."
    ),
    "run.finished_cached": "Finished: {done} epochs, trained at {when}; training took {seconds} s.",
    # -- take it with you: the trained model as a .keras file (issue 23)
    "take.download_model": "Download the model of {label} (.keras)",
    "take.how_to_load_title": "How to load the downloaded model",
    "take.how_to_load": (
        "The `.keras` file holds the run's architecture, its trained weights and how it was compiled (Nadam at the "
        "run's learning rate, sparse categorical cross-entropy, accuracy and top-5 accuracy; the optimizer starts "
        "afresh, its state is not kept after a run). Load it in Python with Keras 3:\n\n"
        "```python\n"
        "import keras\n\n"
        "model = keras.saving.load_model(\"{file}\")\n"
        "model.summary()\n"
        "# x: newswires as word ranks, padded and cut at the front to {max_len} tokens, shape (n, {max_len})\n"
        "probabilities = model.predict(x)  # one row per newswire, one probability per topic\n"
        "```\n\n"
        "Prepare new newswires as this app does: `keras.utils.pad_sequences(sequences, maxlen={max_len})`."
    ),
    "take.weights_gone": (
        "The weights of **{label}**, a result shown from an earlier run, are no longer kept on this server (it keeps "
        "only those of its latest results), so its model can be neither shown on the test set nor downloaded. Press "
        "**Train again and watch it live** above: the same settings give the same numbers, and that run's model can "
        "be downloaded."
    ),
    "take.saved_weights_gone": (
        "{label}: its weights are not kept on this server (only those of recent runs are, never those of imported "
        "runs), so its model cannot be downloaded. Train it again on its method's page with the same settings."
    ),
    "take.download_runs": "Runs (zip of CSV, JSON and TensorBoard logs)",
    "take.tensorboard_help": (
        "The zip holds a TensorBoard log directory, `tensorboard/`, with a folder per run: its figures per epoch and "
        "per batch as scalars, and its settings in the HParams table. To look at it: unzip, then "
        "`pip install tensorboard` and `tensorboard --logdir tensorboard`."
    ),
    # -- fit's logging callbacks (issue 23, item 4)
    "take.callbacks_label": "Add Keras' logging callbacks to this run (their files go into Compare's download):",
    "take.csv_logger": "CSVLogger: a CSV row per epoch",
    "take.tensorboard_callback": "TensorBoard: event files",
    "take.tensorboard_missing": (
        "Keras' TensorBoard callback writes through TensorBoard's own summary code, and the `tensorboard` package "
        "is not installed on this server (`pip install tensorboard` there turns this on). Compare's download of "
        "the selected runs holds TensorBoard logs of every run anyway."
    ),
    "take.callbacks_title": "The callbacks that ran",
    "take.callbacks_caption": "The list passed to `model.fit` for **{label}**, as it ran.",
    "take.callbacks_files": (
        "The list passed to `model.fit` for **{label}**, as it ran (paths relative to the run's folder). Its files "
        "({files}) are in Compare's download of the selected runs, under `files/{run_id}/` and, for TensorBoard's, "
        "`tensorboard/{run_id}/callback/`."
    ),
    "take.callbacks_added": "Train adds {names} to `fit`'s callbacks; this page shows the list after the run.",
    "take.weights_not_here": (
        "The weights of **{label}** did not reach this page (you stopped watching before it ended, or the worker "
        "that trained it could not send them), so its model can be neither shown on the test set nor downloaded. "
        "Train it to get a model you can download."
    ),
    # -- method registry (issue 22): counts said in words, e.g. "{Method_count} ways"
    "number.words": "zero one two three four five six seven eight nine ten eleven twelve",
    # -- fit with your own train_step (issue 23): the fourth method's texts
    "method.custom_train_step": "fit with your own train_step",
    "nav.custom_train_step": "fit + train_step",
    "page.custom_train_step": "fit + train_step",
    "home.link.custom_train_step": "fit + train_step",
    "table.custom_train_step.name": "fit + your train_step",
    "table.custom_train_step.control": "Every line of one batch's step",
    "table.custom_train_step.flexibility": "High: your step, fit's loop and callbacks",
    "table.custom_train_step.when": (
        "When the update itself is new (another loss, a GAN, extra terms) but you still want fit's callbacks, "
        "progress, validation and distribution."
    ),
    "custom_train_step.title": "fit with your own train_step",
    "custom_train_step.intro": """
The middle road that Keras' own guide, *Customizing what happens in `fit()`*, recommends:
subclass `keras.Model`, override **`train_step`** with your own `tf.GradientTape` step, and
keep calling `fit`. You write what happens to **one batch**: the forward pass, the loss, the
gradients, the update, the metrics. `fit` still runs the loop, validation,
`steps_per_execution` and every callback, so this page's progress, Stop and the fit page's
optional `EarlyStopping` / `ReduceLROnPlateau` (*Method options*) work unchanged.

Here the step does what `fit`'s built-in step does, the loss weighted by batch size included,
so from the same seed it gives `fit`'s figures: Compare shows how far apart they are (on
this machine, not at all). Change a line of `train_step` and you have a new algorithm with
all of `fit`'s conveniences.
""",
    "cmp.method.custom_train_step": "train_step",
    "source.custom_train_step.main": "The function that trains (this exact code runs)",
    "source.custom_train_step.step": "The model class: its train_step is what fit calls for every batch",
    # -- run endings as message codes (issue 22)
    "message.imported_running": "Imported while it was still running.",
    "message.not_saved": "{message} (not saved: {error})",
}
