"""Runs as a TensorBoard log directory: their curves as scalars and their settings in the HParams table.

`write_logs(records, folder)` writes one sub-directory per run (named by its
run id) with `tf.summary`:

- per epoch (step = epoch number): `epoch/loss`, `epoch/accuracy`,
  `epoch/top5_accuracy`, the same with `val_`, `epoch/learning_rate` and
  `epoch/seconds`, everything an `EpochRow` holds;
- per batch (step = the run's global step, for the points the record kept):
  `batch/loss` and `batch/accuracy` as the method reported them, and
  `batch/mean_loss`, `batch/mean_accuracy` over the epoch so far. The records
  keep no per-batch top-5 or learning rate, so there are none;
- the run's settings (and its method and label) as hyperparameters, with how it
  ended, through the HParams plugin's summaries; the folder itself holds the
  experiment's summary, which names the settings and the validation figures, so
  TensorBoard's HParams table compares the runs side by side.

Scalars are float32, as `tf.summary.scalar` writes them (7 significant digits).
A setting that is off (`None`) is written as 0, as the sidebar shows it.

The HParams plugin's messages are TensorBoard's (`tensorboard/plugins/hparams/
api.proto` and `plugin_data.proto`), and TensorBoard is only needed to view the
logs, not to write them: the few messages are declared here with the same
names and field numbers in a private descriptor pool, so the bytes written are
what `tensorboard.plugins.hparams` writes and reads. TensorFlow is imported
only when logs are written.

Event files are named `events.out.tfevents.<time>.reuters.v2`: TensorFlow puts
the host's name in them, which an export has no business carrying.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from core.records import BATCH_FIELDS, SAFE_RUN_ID, EpochRow, RunRecord
from core.states import RunStatus

EPOCH_FIGURES = tuple(name for name in EpochRow.__dataclass_fields__ if name not in ("epoch", "finished_at"))
BATCH_FIGURES = BATCH_FIELDS[2:]  # after the step and the epoch
# The HParams table's metric columns: the figures a run is judged by, its last epoch's.
TABLE_METRICS = ("val_accuracy", "val_top5_accuracy", "val_loss", "accuracy", "loss")
PLUGIN_NAME = "hparams"
SCALARS_PLUGIN = "scalars"
EXPERIMENT_TAG = "_hparams_/experiment"
SESSION_START_TAG = "_hparams_/session_start_info"
SESSION_END_TAG = "_hparams_/session_end_info"
# tensorboard.hparams.Status by how the run ended; a stopped or interrupted run did not fail, nor succeed.
RUN_STATUS = {RunStatus.FINISHED: 1, RunStatus.FAILED: 2, RunStatus.RUNNING: 3}
EVENT_FILE_HOST = "reuters"

# TensorBoard's HParams messages: name -> fields (name, number, type, repeated). "message:" and "enum:" name
# another message or enum of the package; "google.protobuf.*" come from struct.proto.
_HPARAMS_MESSAGES: dict[str, list[tuple[str, int, str, bool]]] = {
    "Interval": [("min_value", 1, "double", False), ("max_value", 2, "double", False)],
    "MetricName": [("group", 1, "string", False), ("tag", 2, "string", False)],
    "MetricInfo": [
        ("name", 1, "message:MetricName", False),
        ("display_name", 3, "string", False),
        ("description", 4, "string", False),
        ("dataset_type", 5, "enum:DatasetType", False),
    ],
    "HParamInfo": [
        ("name", 1, "string", False),
        ("display_name", 2, "string", False),
        ("description", 3, "string", False),
        ("type", 4, "enum:DataType", False),
        ("domain_discrete", 5, "message:google.protobuf.ListValue", False),
        ("domain_interval", 6, "message:Interval", False),
        ("differs", 7, "bool", False),
    ],
    "Experiment": [
        ("name", 6, "string", False),
        ("description", 1, "string", False),
        ("user", 2, "string", False),
        ("time_created_secs", 3, "double", False),
        ("hparam_infos", 4, "message:HParamInfo", True),
        ("metric_infos", 5, "message:MetricInfo", True),
    ],
    "SessionStartInfo": [
        ("hparams", 1, "message:SessionStartInfo.HparamsEntry", True),  # map<string, google.protobuf.Value>
        ("model_uri", 2, "string", False),
        ("monitor_url", 3, "string", False),
        ("group_name", 4, "string", False),
        ("start_time_secs", 5, "double", False),
    ],
    "SessionEndInfo": [("status", 1, "enum:Status", False), ("end_time_secs", 2, "double", False)],
    "HParamsPluginData": [
        ("version", 1, "int32", False),
        ("experiment", 2, "message:Experiment", False),
        ("session_start_info", 3, "message:SessionStartInfo", False),
        ("session_end_info", 4, "message:SessionEndInfo", False),
    ],
}
_HPARAMS_ENUMS = {
    "DataType": ["DATA_TYPE_UNSET", "DATA_TYPE_STRING", "DATA_TYPE_BOOL", "DATA_TYPE_FLOAT64"],
    "DatasetType": ["DATASET_UNKNOWN", "DATASET_TRAINING", "DATASET_VALIDATION"],
    "Status": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
}
DATA_TYPE_STRING, DATA_TYPE_FLOAT64 = 1, 3
DATASET_TRAINING, DATASET_VALIDATION = 1, 2


def hparams_message(name: str) -> Any:
    """The class of TensorBoard's HParams message `name` ("HParamsPluginData", "Experiment", ...)."""
    return _hparams_messages()[name]


@functools.cache
def _hparams_messages() -> dict[str, Any]:
    """Every HParams message class, from one descriptor pool (built once: a message's fields refer to the others)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, struct_pb2

    kinds = {"double": 1, "int32": 5, "bool": 8, "string": 9}
    proto = descriptor_pb2.FileDescriptorProto(
        name="reuters_app/tensorboard_hparams.proto",
        package="tensorboard.hparams",
        syntax="proto3",
        dependency=["google/protobuf/struct.proto"],
    )
    for enum, values in _HPARAMS_ENUMS.items():
        proto.enum_type.add(name=enum).value.extend(
            descriptor_pb2.EnumValueDescriptorProto(name=value, number=number) for number, value in enumerate(values)
        )
    for message, message_fields in _HPARAMS_MESSAGES.items():
        described = proto.message_type.add(name=message)
        for field_name, number, kind, repeated in message_fields:
            added = described.field.add(name=field_name, number=number, label=3 if repeated else 1)
            if kind in kinds:
                added.type = kinds[kind]
            else:
                what, _, target = kind.partition(":")
                added.type = 11 if what == "message" else 14
                added.type_name = f".{target}" if target.startswith("google.") else f".tensorboard.hparams.{target}"
    entry = proto.message_type[list(_HPARAMS_MESSAGES).index("SessionStartInfo")].nested_type.add(name="HparamsEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, label=1, type=9)
    entry.field.add(name="value", number=2, label=1, type=11, type_name=".google.protobuf.Value")
    pool = descriptor_pool.DescriptorPool()  # private: never clashes with TensorBoard's own, if it is imported too
    pool.AddSerializedFile(struct_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(proto)
    return {
        message: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"tensorboard.hparams.{message}"))
        for message in _HPARAMS_MESSAGES
    }


def run_hparams(record: RunRecord) -> dict[str, float | str]:
    """What the HParams table shows of a run: its method, label and every setting (numbers; off as 0)."""
    values: dict[str, float | str] = {"method": record.method, "label": record.label or record.run_id}
    for name, value in sorted(record.settings.items()):
        if name == "method":
            continue
        if value is None or isinstance(value, bool):
            value = float(bool(value))
        values[name] = value if isinstance(value, str) else float(value)
    return values


def _seconds(iso_time: str | None) -> float:
    if not iso_time:
        return 0.0
    try:
        return datetime.fromisoformat(iso_time).timestamp()
    except ValueError:
        return 0.0


def _plugin_summary(tag: str, **data: Any) -> bytes:
    """A serialized `Summary` holding one HParams plugin message, as TensorBoard's own summary functions make it."""
    from tensorflow.core.framework import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

    content = hparams_message("HParamsPluginData")(version=0, **data)
    summary = summary_pb2.Summary()
    summary.value.add(
        tag=tag,
        metadata=summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=PLUGIN_NAME, content=content.SerializeToString())
        ),
        # The plugin's data is all in the metadata; the value is an empty float tensor, as TensorBoard writes it.
        tensor=tensor_pb2.TensorProto(
            dtype=types_pb2.DT_FLOAT, tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[{"size": 0}])
        ),
    )
    return summary.SerializeToString()


def experiment_summary(records: list[RunRecord]) -> bytes:
    """The experiment: each hyperparameter with the values the runs took, and the metrics the table shows."""
    from google.protobuf import struct_pb2

    infos = []
    table = [run_hparams(record) for record in records]
    for name in dict.fromkeys(key for values in table for key in values):
        taken = {values[name] for values in table if name in values}
        textual = any(isinstance(value, str) for value in taken)
        ordered: list[Any] = sorted(str(value) for value in taken) if textual else sorted(taken)
        domain = struct_pb2.ListValue()
        domain.extend(ordered)
        infos.append(
            hparams_message("HParamInfo")(
                name=name,
                type=DATA_TYPE_STRING if textual else DATA_TYPE_FLOAT64,
                domain_discrete=domain,
                differs=len(taken) > 1,
            )
        )
    metrics = [
        hparams_message("MetricInfo")(
            name=hparams_message("MetricName")(tag=f"epoch/{name}"),
            dataset_type=DATASET_VALIDATION if name.startswith("val_") else DATASET_TRAINING,
        )
        for name in TABLE_METRICS
    ]
    started = min((_seconds(record.started_at) for record in records), default=0.0)
    experiment = hparams_message("Experiment")(hparam_infos=infos, metric_infos=metrics, time_created_secs=started)
    return _plugin_summary(EXPERIMENT_TAG, experiment=experiment)


def session_summaries(record: RunRecord) -> tuple[bytes, bytes]:
    """The run's start (its hyperparameters, grouped under its run id) and its end (how it ended, when)."""
    start = hparams_message("SessionStartInfo")(group_name=record.run_id, start_time_secs=_seconds(record.started_at))
    for name, value in run_hparams(record).items():
        if isinstance(value, str):
            start.hparams[name].string_value = value
        else:
            start.hparams[name].number_value = value
    end = hparams_message("SessionEndInfo")(status=RUN_STATUS.get(record.status, 0), end_time_secs=_seconds(record.ended_at))
    return _plugin_summary(SESSION_START_TAG, session_start_info=start), _plugin_summary(SESSION_END_TAG, session_end_info=end)


def _rename_event_files(folder: Path) -> None:
    """events.out.tfevents.<time>.<host>.<pid>.<n>.v2 -> events.out.tfevents.<time>.reuters.v2 (one file per folder)."""
    for path in folder.glob("events.out.tfevents.*"):
        stamp = path.name.split(".")[3]
        path.rename(path.with_name(f"events.out.tfevents.{stamp}.{EVENT_FILE_HOST}.v2"))


def scalar_summaries(record: RunRecord) -> list[tuple[int, bytes]]:
    """(step, serialized `Summary`) for each step of the run that has figures: its epochs, then its batch points.

    Each value is what tensorboard's scalar summary writes (`tf.summary.scalar` is TensorBoard's own, and needs
    it installed): a float32 scalar tensor under the scalars plugin, whose content (ScalarPluginData,
    version 0) is empty.
    """
    from tensorflow.core.framework import summary_pb2, tensor_pb2, types_pb2

    scalar = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=SCALARS_PLUGIN))

    def summary(figures: dict[str, float]) -> bytes:
        values = summary_pb2.Summary()
        for tag, value in figures.items():
            if math.isfinite(value):
                tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[value])
                values.value.add(tag=tag, metadata=scalar, tensor=tensor)
        return values.SerializeToString()

    steps = [(row.epoch, summary({f"epoch/{name}": getattr(row, name) for name in EPOCH_FIGURES})) for row in record.epochs]
    for point in record.batches:
        steps.append((int(point[0]), summary({f"batch/{n}": v for n, v in zip(BATCH_FIGURES, point[2:], strict=True)})))
    return steps


def write_run_log(record: RunRecord, folder: Path) -> None:
    """One run's scalars and hyperparameters into `folder` (made if missing)."""
    import tensorflow as tf

    folder.mkdir(parents=True, exist_ok=True)
    writer = tf.summary.create_file_writer(str(folder))

    with writer.as_default():
        start, end = session_summaries(record)
        tf.summary.experimental.write_raw_pb(start, step=0)
        for step, summary in scalar_summaries(record):  # one event per step, holding all of its figures
            tf.summary.experimental.write_raw_pb(summary, step=step)
        tf.summary.experimental.write_raw_pb(end, step=0)
    writer.close()
    _rename_event_files(folder)


def write_logs(records: Iterable[RunRecord], folder: Path) -> list[Path]:
    """A TensorBoard log directory of `records`: the experiment in `folder`, one sub-directory per run (its id)."""
    import tensorflow as tf

    records = list(records)
    folder.mkdir(parents=True, exist_ok=True)
    writer = tf.summary.create_file_writer(str(folder))
    with writer.as_default():
        tf.summary.experimental.write_raw_pb(experiment_summary(records), step=0)
    writer.close()
    _rename_event_files(folder)
    written = []
    for record in records:
        if not SAFE_RUN_ID.fullmatch(record.run_id) or ".." in record.run_id:
            raise ValueError(f"unsafe run id {record.run_id!r}")
        write_run_log(record, folder / record.run_id)
        written.append(folder / record.run_id)
    return written
