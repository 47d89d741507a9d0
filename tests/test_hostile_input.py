"""Hostile and absurd input: uploads, settings, and text that reaches a file name or the page.

Uploads go through `ui.data_source.check_upload` (what the uploader's callback
calls) and, for a few, through the real uploader in an AppTest session. Each
bad input must get a precise message, run nothing, write nothing, and leave
the process able to prepare and train on good data afterwards.
"""

from __future__ import annotations

import io
import math
import pickle
import re
import tomllib
import tracemalloc
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from fixture_data import SystemCommand, TouchMarker, make_fixture_arrays, npy_bytes, ragged, write_fixture_npz, write_pickle_bomb
from streamlit.testing.v1 import AppTest
from support import APP, outside, recording_writes, state, texts

from core import data as core_data
from core.data import (
    MAX_UNPACKED_BYTES,
    DatasetUnavailableError,
    prepare_data,
    read_reuters_npz,
)
from core.methods import names as method_names
from core.records import RunRecord, record_path, save_record
from core.settings import MAX_BATCH_SIZE, RunSettings, SettingsError
from core.states import RunMessage
from ui.data_source import check_upload, safe_name

METHODS = method_names()  # every method of the registry, in order
ROOT = Path(__file__).resolve().parent.parent

CODE_SPAN = re.compile(r"`[^`\n]*`")
MARKUP = re.compile(r"<\s*[a-z!/]|\]\s*\(|\b(?:https?|ftp|file)://|\b(?:javascript|data|vbscript):\S|\bwww\.", re.IGNORECASE)


def markup_outside_code(text: str) -> list[str]:
    """What Streamlit's Markdown would turn into HTML or a link (inline code spans are inert)."""
    return MARKUP.findall(CODE_SPAN.sub("", text))


def archive(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as handle:
        for name, payload in members.items():
            handle.writestr(name, payload)
    return buffer.getvalue()


def objects(*items) -> np.ndarray:
    """An object array holding exactly these items (numpy would unfold equal-length lists into a 2-D array)."""
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


def reuters(x, y) -> bytes:
    return archive({"x.npy": npy_bytes(x), "y.npy": npy_bytes(y)})


@pytest.fixture(scope="module")
def good_upload(tmp_path_factory) -> bytes:
    return write_fixture_npz(tmp_path_factory.mktemp("good") / "reuters.npz").read_bytes()


def refused(name: str, payload: bytes, *, peak_bytes: int | None = None) -> str:
    """check_upload's message for a payload it must refuse, within a memory budget when given."""
    tracemalloc.start()
    try:
        kept, problem = check_upload(name, payload)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept is None, f"{name} was accepted"
    assert problem.startswith(f"`{safe_name(name)}`: "), problem
    assert markup_outside_code(problem) == [], problem
    if peak_bytes is not None:
        assert peak < peak_bytes, f"refusing {name} took {peak:,} bytes"
    return problem


@pytest.fixture(autouse=True)
def still_works_afterwards(good_upload):
    """After every hostile input, the same process still prepares good data."""
    yield
    prepared = prepare_data(40, good_upload, download=False)
    assert prepared.x_train.shape == (192, 40)


# ---------------------------------------------------------------------------
# Code hidden in a pickle


@pytest.mark.parametrize("payload_type", [TouchMarker, SystemCommand])
def test_a_pickle_payload_never_runs(tmp_path, payload_type):
    marker = tmp_path / "marker"
    payload = write_pickle_bomb(tmp_path / "evil.npz", payload_type(marker)).read_bytes()
    problem = refused("evil.npz", payload)
    assert "the x array was refused: it asks to run" in problem and "which a data file never needs" in problem
    # Both payloads act before unpickling returns (Path.touch; os.system waits for its shell): had either run,
    # the marker would exist by now.
    assert not marker.exists()


def test_a_pickle_payload_through_the_real_uploader(tmp_path, good_upload, monkeypatch):
    monkeypatch.setenv("REUTERS_NPZ_PATH", str(write_fixture_npz(tmp_path / "reuters.npz")))
    st.cache_resource.clear()
    marker = tmp_path / "marker"
    payload = write_pickle_bomb(tmp_path / "evil.npz", SystemCommand(marker)).read_bytes()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    with recording_writes() as writes:
        at.file_uploader(key="reuters_upload").upload("evil.npz", payload).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("it asks to run" in e.value for e in at.error), texts(at)
    assert state(at, "uploaded_reuters") is None
    assert not marker.exists()
    assert outside(writes) == [], "an upload is checked in memory: nothing is written"
    # The same visitor then uploads a good file and it is used for their session.
    at.file_uploader(key="reuters_upload").upload("mine.npz", good_upload).run()
    assert state(at, "uploaded_reuters")[0] == "mine.npz"
    assert "Using your upload `mine.npz`" in texts(at)
    st.cache_resource.clear()


def _pickle_asking_for(module: str, name: str) -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    body = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n)R."  # GLOBAL, EMPTY_TUPLE, REDUCE
    return archive({"x.npy": header.getvalue() + body, "y.npy": npy_bytes(np.array([0]))})


def test_the_refusal_quotes_what_the_pickle_asked_for_without_markup():
    problem = refused("evil.npz", _pickle_asking_for("[click me](https://evil.example)", "<img src=x onerror=alert(1)>"))
    assert "it asks to run `[click me](https://evil.example).<img src=x onerror=alert(1)>`" in problem


# ---------------------------------------------------------------------------
# NumPy integer scalars: what np.savez writes for token lists built from NumPy arrays

INTEGER_TYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


@pytest.mark.parametrize("integer_type", INTEGER_TYPES, ids=lambda t: t.__name__)
def test_token_lists_of_numpy_integers_are_accepted_as_plain_ints(integer_type, tmp_path):
    """The file of issue 14: lists built from NumPy arrays, saved with np.savez, read like the same file of ints."""
    xs, labels = make_fixture_arrays()
    top = min(int(np.iinfo(integer_type).max), 30_979)  # int8 holds ids up to 127 only
    plain = objects(*[[w % top + 1 for w in x] for x in xs])
    as_numpy = objects(*[list(np.array(x, dtype=integer_type)) for x in plain])
    assert type(as_numpy[0][0]) is integer_type, "the file really holds NumPy scalars"
    np.savez(tmp_path / "numpy_ints.npz", x=as_numpy, y=labels)
    np.savez(tmp_path / "plain.npz", x=plain, y=labels)
    payload = (tmp_path / "numpy_ints.npz").read_bytes()
    assert b"scalar" in payload, "and pickles them through numpy's scalar reconstructor"
    kept, problem = check_upload("numpy_ints.npz", payload)
    assert problem == "" and kept is not None
    read_x, read_y = read_reuters_npz(payload)
    plain_x, plain_y = read_reuters_npz(tmp_path / "plain.npz")
    assert all(a.dtype == b.dtype == np.int64 and np.array_equal(a, b) for a, b in zip(read_x, plain_x, strict=True))
    assert read_y.dtype == plain_y.dtype and np.array_equal(read_y, plain_y)
    ours, theirs = prepare_data(40, payload, download=False), prepare_data(40, tmp_path / "plain.npz", download=False)
    for name in ("x_train", "y_train", "x_test", "y_test", "train_lengths", "test_lengths"):
        assert np.array_equal(getattr(ours, name), getattr(theirs, name)), name
    assert (ours.vocab_size, ours.num_classes) == (theirs.vocab_size, theirs.num_classes)


def test_numpy_integer_extremes_and_byte_orders_keep_their_values():
    """Each scalar is decoded with its own dtype: big-endian, the largest uint64 and the most negative int64."""
    tokens = [
        _Scalar(np.dtype(">i4"), (300).to_bytes(4, "big")),
        _Scalar(np.dtype("<u2"), (65535).to_bytes(2, "little")),
        _Scalar(np.dtype("|u1"), bytes([200])),
        np.int16(7),
    ]
    xs, _ = read_reuters_npz(reuters(objects(tokens, [np.uint64(3)]), np.array([1, 2])))
    assert xs[0].tolist() == [300, 65535, 200, 7] and xs[0].dtype == np.int64
    too_big = reuters(objects([np.uint64(2**64 - 1)], [1]), np.array([1, 2]))
    assert "has the word id 18,446,744,073,709,551,615, over the 1,000,000" in refused("uint64-max.npz", too_big)
    negative = reuters(objects([np.int64(-(2**63))], [1]), np.array([1, 2]))
    assert "newswire 0 has a negative word id" in refused("int64-min.npz", negative)


class _Scalar:
    """Pickles as numpy's scalar reconstructor called with exactly these arguments."""

    def __init__(self, *arguments, module: str = "numpy._core.multiarray"):
        self.arguments, self.module = arguments, module

    def __reduce__(self):
        return (np._core.multiarray.scalar, self.arguments)


def _scalar_pickle(*arguments, module: str = "numpy._core.multiarray") -> bytes:
    """An x member whose one newswire is [scalar(*arguments)], naming the reconstructor through `module`."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    body = pickle.dumps(objects([_Scalar(*arguments)]), protocol=3)  # as np.save writes; names globals as text
    body = body.replace(b"cnumpy._core.multiarray\nscalar\n", b"c" + module.encode() + b"\nscalar\n")
    assert module.encode() + b"\nscalar" in body
    return archive({"x.npy": header.getvalue() + body, "y.npy": npy_bytes(np.array([0]))})


@pytest.mark.parametrize("module", ["numpy._core.multiarray", "numpy.core.multiarray"])
def test_both_names_of_the_scalar_reconstructor_rebuild_integers_only(module):
    """NumPy 1 files name numpy.core, NumPy 2 files numpy._core: both decode an int64 and refuse a float64."""
    xs, _ = read_reuters_npz(_scalar_pickle(np.dtype("<i8"), (30_979).to_bytes(8, "little"), module=module))
    assert xs[0].tolist() == [30_979]
    problem = refused("float.npz", _scalar_pickle(np.dtype("<f8"), np.float64(1.0).tobytes(), module=module))
    assert "it asks to rebuild a NumPy scalar of type `float64`; word ids are integers" in problem


NOT_INTEGER_SCALARS = {
    # name: (the reconstructor's arguments, what the message must say)
    # The object dtype hands back whatever it is given: here a list, elsewhere an object built by an allowed call.
    "object-dtype": ((np.dtype(object), [1, 2, 3]), "a NumPy scalar of type `object`"),
    "object-dtype-array": ((np.dtype(object), np.arange(3)), "a NumPy scalar of type `object`"),
    "float64": ((np.dtype("f8"), np.float64(2.0).tobytes()), "of type `float64`; word ids are integers"),
    "float16": ((np.dtype("f2"), np.float16(2.0).tobytes()), "of type `float16`"),
    "bool": ((np.dtype("?"), b"\x01"), "of type `bool`"),
    "complex": ((np.dtype("c8"), bytes(8)), "of type `complex64`"),
    "string": ((np.dtype("S3"), b"abc"), "of type `bytes24`"),
    "unicode": ((np.dtype("U1"), b"a\x00\x00\x00"), "of type `str32`"),
    "void": ((np.dtype("V8"), bytes(8)), "of type `void64`"),
    "structured-int": ((np.dtype([("a", "<i4"), ("b", "<i4")]), bytes(8)), "of type `void64`"),
    "datetime": ((np.dtype("M8[D]"), bytes(8)), "of type `datetime64[D]`"),
    "timedelta": ((np.dtype("m8"), bytes(8)), "of type `timedelta64`"),
    "not-a-dtype": (("i8", bytes(8)), "from a `str` instead of a dtype"),
    "a-list-as-dtype": (([1], bytes(8)), "from a `list` instead of a dtype"),
    "one-argument": ((np.dtype("i8"),), "from 1 arguments instead of 2"),
    "three-arguments": ((np.dtype("i8"), bytes(8), bytes(8)), "from 3 arguments instead of 2"),
    "no-bytes": ((np.dtype("i8"), b""), "a NumPy int64 scalar takes 8 bytes of data, it gives 0 bytes"),
    "odd-bytes": ((np.dtype("i4"), bytes(7)), "a NumPy int32 scalar takes 4 bytes of data, it gives 7 bytes"),
    "huge-bytes": ((np.dtype("i8"), bytes(10_000_000)), "a NumPy int64 scalar takes 8 bytes of data, it gives 10,000,000 bytes"),
    "text-not-bytes": ((np.dtype("i8"), "12345678"), "a NumPy int64 scalar takes 8 bytes of data, it gives 8 characters of text"),
    "a-list-not-bytes": ((np.dtype("i8"), [1] * 8), "a NumPy int64 scalar takes 8 bytes of data, it gives a `list`"),
}


@pytest.mark.parametrize("case", list(NOT_INTEGER_SCALARS))
def test_numpy_scalars_that_are_not_integers_are_refused(case):
    arguments, says = NOT_INTEGER_SCALARS[case]
    problem = refused(f"{case}.npz", _scalar_pickle(*arguments), peak_bytes=256 << 20)
    assert "the x array was refused: " in problem and says in problem, problem


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("numpy", "load"),
        ("numpy", "frombuffer"),
        ("numpy", "fromfile"),
        ("numpy", "frompyfunc"),
        ("numpy._core.multiarray", "fromstring"),
        ("numpy._core.multiarray", "_vec_string"),
        ("numpy.core.multiarray", "scalar_"),
        ("numpy.lib.npyio", "load"),
        ("numpy.testing._private.utils", "runstring"),
        ("numpy", "int64"),
        ("numpy", "scalar"),
        ("numpy._core", "scalar"),
        ("builtins", "eval"),
    ],
    ids=lambda v: v,
)
def test_other_numpy_callables_are_still_refused(module, name):
    assert f"it asks to run `{module}.{name}`, which a data file never needs" in refused(
        "evil.npz", _pickle_asking_for(module, name)
    )


def test_a_payload_beside_numpy_integers_still_never_runs(tmp_path):
    """Allowing the integer scalars opens nothing else: a payload among them is refused before it runs."""
    marker = tmp_path / "marker"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": (2,)})
    body = pickle.dumps(objects([np.int64(1), np.int32(2)], [np.int64(3), TouchMarker(marker)]), protocol=3)
    problem = refused("evil.npz", archive({"x.npy": header.getvalue() + body, "y.npy": npy_bytes(np.array([0, 1]))}))
    assert "it asks to run `builtins.getattr`" in problem  # how pickle names Path.touch
    assert not marker.exists()  # Path.touch would have made it before unpickling returned
    # An object-dtype scalar wrapping the payload: the payload is refused first, the scalar would be next.
    problem = refused("evil.npz", _scalar_pickle(np.dtype(object), TouchMarker(marker)))
    assert "it asks to run `builtins.getattr`" in problem and not marker.exists()


def test_the_reader_module_still_names_the_places_to_look_for_a_missing_file(tmp_path):
    with pytest.raises(DatasetUnavailableError, match="does not exist. Set the environment variable REUTERS_NPZ_PATH"):
        read_reuters_npz(tmp_path / "missing.npz")


# ---------------------------------------------------------------------------
# Archives that lie about their size


def zip_bomb(unpacked: int) -> bytes:
    """A valid x and a y member that inflates to `unpacked` bytes of zeros, written without holding them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("x.npy", npy_bytes(ragged([1, 2], [3])))
        chunk = bytes(1 << 20)
        with handle.open("y.npy", "w", force_zip64=True) as member:
            for _ in range(unpacked // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    bomb = zip_bomb(MAX_UNPACKED_BYTES + (4 << 20))
    assert len(bomb) < 200_000, "the archive itself is small"
    problem = refused("bomb.npz", bomb, peak_bytes=8 << 20)
    assert f"unpacks to {MAX_UNPACKED_BYTES + (4 << 20):,} bytes, over the {MAX_UNPACKED_BYTES:,}-byte limit" in problem


def test_a_zip_whose_directory_understates_the_size_inflates_no_more_than_the_limit():
    """The directory says 1,000 bytes; the stream inflates to 4x the limit. Reading stops at the limit."""
    inflates_to = 4 * MAX_UNPACKED_BYTES
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.writestr("x.npy", npy_bytes(ragged([1, 2], [3])))
        chunk = bytes(1 << 20)
        with handle.open("y.npy", "w") as member:  # sizes in the 32-bit fields, patched below
            for _ in range(inflates_to // len(chunk)):
                member.write(chunk)
    raw = bytearray(buffer.getvalue())
    claimed = (1000).to_bytes(4, "little")
    for signature, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := raw.find(signature, start)) != -1:
            if raw[start + name_at : start + name_at + 5] == b"y.npy":
                raw[start + offset : start + offset + 4] = claimed
            start += 4
    assert len(raw) < 1_000_000
    problem = refused("liar.npz", bytes(raw), peak_bytes=3 * MAX_UNPACKED_BYTES)
    assert "the y array cannot be read" in problem and "damaged or truncated" in problem


def test_the_server_refuses_uploads_over_its_limit_and_an_oversize_payload_fails_cleanly():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    limit_mb = config["server"]["maxUploadSize"]
    assert 2 < limit_mb <= 64, "room for the real 2 MB file, far below what would hurt the server"
    oversize = np.random.default_rng(0).bytes((limit_mb + 1) << 20)
    problem = refused("huge.npz", oversize)
    assert "is not a .npz archive" in problem


# ---------------------------------------------------------------------------
# Not an archive, or the wrong arrays


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (b"", "is not a .npz archive"),
        (b"GIF89a\x01\x00\x01\x00" + bytes(100), "is not a .npz archive"),
        (b"%PDF-1.7\n" + bytes(1000), "is not a .npz archive"),
        (b"PK\x03\x04" + bytes(26), "is not a .npz archive"),
        (archive({"readme.txt": b"hello"}), "it has no x or y array (found: `readme.txt`)"),
        (archive({f"<a href=//evil>{i}</a>.npy": b"" for i in range(30)}), "and 20 more"),
        (archive({"x.npy": b"not numpy", "y.npy": npy_bytes(np.array([1]))}), "the x array cannot be read"),
    ],
    ids=["empty", "gif", "pdf", "zip-header-only", "other-members", "many-hostile-member-names", "x-not-npy"],
)
def test_not_a_reuters_archive(payload, says):
    assert says in refused("upload.npz", payload)


def _shared(count: int, length: int) -> np.ndarray:
    """`count` newswires that are all the same list: a few bytes each in the pickle."""
    same = list(range(1, length + 1))
    xs = np.empty(count, dtype=object)
    for i in range(count):
        xs[i] = same
    return xs


def _nested(depth: int, width: int) -> np.ndarray:
    inner = [1] * width
    for _ in range(depth - 1):
        inner = [inner] * width
    return objects(inner, [1, 2])


def _self_containing() -> np.ndarray:
    loop = [1, 2]
    loop.append(loop)
    return objects(loop, [3])


BAD_ARRAYS = {
    # name: (x, y, what the message must say)
    "float-labels": (objects([1], [2]), np.array([1.0, 2.0]), "labels must be integers, got float64"),
    "bool-labels": (objects([1], [2]), np.array([True, False]), "labels must be integers, got bool"),
    "string-labels": (objects([1], [2]), np.array(["earn", "acq"]), "labels must be integers, got str"),
    "object-labels": (objects([1], [2]), np.array([1, "x"], dtype=object), "labels must be integers, got object"),
    "complex-labels": (objects([1], [2]), np.array([1 + 1j, 2]), "labels must be integers, got complex128"),
    "label-46": (objects([1], [2]), np.array([0, 46]), "topic ids from 0 to 45, found values from 0 to 46"),
    "label-negative": (objects([1], [2]), np.array([-5, 3]), "found values from -5 to 3"),
    "label-huge": (objects([1], [2]), np.array([0, 2**62]), "found values from 0 to 4611686018427387904"),
    "2-d-labels": (objects([1], [2]), np.array([[1], [2]]), "x and y must be one-dimensional"),
    "fewer-labels": (ragged([1], [2], [3]), np.array([1, 2]), "x has 3 newswires but y has 2 labels"),
    "more-labels": (ragged([1]), np.array([1, 2]), "x has 1 newswires but y has 2 labels"),
    "no-newswires": (ragged(), np.array([], dtype=np.int64), "the archive holds no newswires"),
    "too-many-newswires": (
        _shared(core_data.MAX_NEWSWIRES + 1, 1),
        np.zeros(core_data.MAX_NEWSWIRES + 1, dtype=np.int64),
        "200,001 newswires is more than the 200,000 this app accepts",
    ),
    "string-tokens": (ragged([1, 2], ["earn", "acq"]), np.array([1, 2]), "newswire 1 is not a list of integer word ids"),
    "float-tokens": (ragged([1.5, 2.0], [3]), np.array([1, 2]), "newswire 0 is not a list of integer word ids"),
    "none-token": (ragged([1, None], [3]), np.array([1, 2]), "newswire 0 is not a list of integer word ids"),
    "negative-token": (ragged([1, 2], [3, -4]), np.array([1, 2]), "newswire 1 has a negative word id"),
    "huge-token": (ragged([1, 10**9, 10**9 + 1], [3]), np.array([1, 2]), "has the word id 1,000,000,001, over the 1,000,000"),
    "token-too-big-for-int64": (ragged([1, 2**70], [3]), np.array([1, 2]), "newswire 0 is not a list of integer word ids"),
    "2-d-x": (np.zeros((2, 3), dtype=np.int64), np.array([1, 2]), "x and y must be one-dimensional"),
    "x-of-numbers": (np.array([1, 2, 3]), np.array([1, 2, 3]), "newswire 0 is not a list of integer word ids"),
    "ragged-nested-lists": (ragged([1, 2], [[3, 4], [5]]), np.array([1, 2]), "newswire 1 is not a list of integer word ids"),
    "a-list-inside-itself": (_self_containing(), np.array([1, 2]), "newswire 0 is not a list of integer word ids"),
    # A 5 kB pickle whose lists, unfolded, are a 2000**3 array (64 GB): must be refused without unfolding.
    "nested-amplification": (_nested(3, 2000), np.array([1, 2]), "newswire 0 is not a list of integer word ids"),
    # 100,000 references to one 1,000-word list: 100 million words from a small file.
    "shared-references": (
        _shared(100_000, 1000),
        np.zeros(100_000, dtype=np.int64),
        "hold 100,000,000 words in all, more than the 4,000,000",
    ),
}


def test_a_tiny_file_of_200000_newswires_sharing_one_list_is_refused_by_its_decoded_size_before_preparing():
    """The issue's crafted file: 12 kB, every size cap passed, then 24 s and 1.3 GB to prepare. Now its tokens
    are counted from the shared references, and it is refused before any newswire is converted."""
    xs = _shared(core_data.MAX_NEWSWIRES, 80)  # 16 million tokens, the old limit
    payload = archive(
        {"x.npy": npy_bytes(xs), "y.npy": npy_bytes(np.zeros(len(xs), dtype=np.int64))}, compression=zipfile.ZIP_DEFLATED
    )
    assert len(payload) < 20_000, "a small file"
    problem = refused("crafted.npz", payload, peak_bytes=64 << 20)
    assert "hold 16,000,000 words in all, more than the 4,000,000 this app accepts" in problem, problem
    assert "nothing was prepared" in problem


def test_many_newswires_padded_to_a_long_max_len_are_refused_before_padding_naming_max_len(tmp_path):
    count = 30_000  # 30,000 one-word newswires: few tokens, but 60 million once padded to 2000
    path = tmp_path / "reuters.npz"
    path.write_bytes(reuters(_shared(count, 1), np.zeros(count, dtype=np.int64)))
    import keras.utils  # noqa: F401 - prepare_data imports it first thing: not what is measured here

    tracemalloc.start()
    try:
        with pytest.raises(core_data.InvalidDatasetError) as caught:
            prepare_data(2000, path, download=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    largest = core_data.MAX_PADDED_TOKENS // count
    assert "30,000 newswires padded to max_len 2,000" in message and f"lower max_len to at most {largest:,}" in message
    assert peak < 64 << 20, f"refusing took {peak:,} bytes"
    assert prepare_data(largest, path, download=False).max_len == largest, "the max_len named is prepared"


@pytest.mark.parametrize("case", list(BAD_ARRAYS))
def test_wrong_arrays_get_a_precise_message(case):
    x, y, says = BAD_ARRAYS[case]
    payload = reuters(x, y)
    problem = refused(f"{case}.npz", payload, peak_bytes=256 << 20)  # refused within a bound on memory, not on time
    assert says in problem, problem


def test_an_archive_too_small_to_split_is_explained_on_the_page(tmp_path, monkeypatch):
    """check_upload accepts one valid newswire; the split then has no test set, and the page says so."""
    monkeypatch.setenv("REUTERS_NPZ_PATH", str(write_fixture_npz(tmp_path / "reuters.npz")))
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        at.file_uploader(key="reuters_upload").upload("one.npz", reuters(ragged([1, 2, 3]), np.array([4]))).run()
        assert not at.exception, [e.value for e in at.exception]
        assert "1 newswires are too few to make a training and a test set" in texts(at)
        at.button(key="forget_upload").click().run()  # the way back is on the same panel
        assert not at.exception and state(at, "uploaded_reuters") is None
        assert "The Reuters dataset is not available" not in texts(at)
    finally:
        st.cache_resource.clear()


# ---------------------------------------------------------------------------
# Names that reach the page or the disk

HOSTILE_NAMES = [
    "../../etc/passwd.npz",
    "..\\..\\windows\\system32\\config.npz",
    "/absolute/path/reuters.npz",
    "nul\x00byte.npz",
    "new\nline\r\n.npz",
    "<img src=x onerror=alert(1)>.npz",
    "[x](javascript:alert(1)).npz",
    "**bold** _it_ `code` # head.npz",
    "\u202etxt.exe.npz",  # right-to-left override
    "a" * 10_000 + ".npz",
    "",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n[:30]))
def test_upload_names_are_shown_as_plain_bounded_text(name, good_upload):
    shown = safe_name(name)
    assert 0 < len(shown) <= 80
    assert not set(shown) & set("/\\\x00\n\r<>[]()`*#:\u202e")
    kept, problem = check_upload(name, good_upload)
    assert kept is not None and kept[0] == name and problem == ""  # the name is data, never a path
    assert markup_outside_code(refused(name, b"not a zip")) == []


def test_an_upload_name_that_looks_like_a_web_address_is_not_a_link():
    kept, problem = check_upload("www.evil.com.npz", b"not a zip")
    assert kept is None
    assert markup_outside_code(problem) == [], problem


def test_a_hostile_upload_name_on_the_page(tmp_path, good_upload, monkeypatch):
    monkeypatch.setenv("REUTERS_NPZ_PATH", str(write_fixture_npz(tmp_path / "reuters.npz")))
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        with recording_writes() as writes:
            at.file_uploader(key="reuters_upload").upload("<img src=x onerror=alert(1)>[a](b).npz", b"junk").run()
            errors = [e.value for e in at.error]
            assert any("not a .npz archive" in e for e in errors), errors
            assert all(markup_outside_code(e) == [] for e in errors), errors
            at.file_uploader(key="reuters_upload").upload("../../etc/passwd.npz", good_upload).run()
        assert not at.exception
        assert outside(writes) == [], "nothing is written, least of all where the name points"
        shown = [s.value for s in at.success]
        assert any("Using your upload `....etcpasswd.npz`" in s for s in shown), shown
    finally:
        st.cache_resource.clear()


@pytest.mark.parametrize(
    "run_id",
    ["../../etc/passwd", "..", "a/../../b", "a\\b", "a\x00b", "/abs", "x" * 200, "", " space", "<b>", "a\nb"],
    ids=repr,
)
def test_a_hostile_run_id_never_becomes_a_path(tmp_path, run_id):
    runs = tmp_path / "runs"
    record = RunRecord.start("fit", {})
    record.run_id = run_id
    with pytest.raises(ValueError):
        record_path(record, runs)
    with recording_writes() as writes, pytest.raises(ValueError):
        save_record(record, runs)
    assert writes == [] and not runs.exists()
    with pytest.raises(ValueError):
        RunRecord.from_dict(dict(record.to_dict(), run_id=run_id))


def test_labels_and_messages_stay_inside_the_record(tmp_path):
    runs = tmp_path / "runs"
    record = RunRecord.start("fit", {}, label="../../../etc/passwd <script>alert(1)</script>")
    record.message = RunMessage.plain("/tmp/evil\x00")
    with recording_writes() as writes:
        path = save_record(record, runs)
    assert path.parent == runs and path.name == f"{record.run_id}.json"
    assert outside(writes, runs) == []
    assert [p.name for p in runs.iterdir()] == [path.name]


# ---------------------------------------------------------------------------
# Settings at and past their bounds

PAST_THE_BOUNDS = {
    "epochs": [0, -1, 201, 10**18, 2.5, 1.0, "10", None, True, math.nan],
    "batch_size": [0, -16, MAX_BATCH_SIZE + 1, 10**12, 16.0, "32", None, False],
    "max_len": [1, 0, -300, 13, 2001, 10**9, "300", 300.5],
    "learning_rate": [0, -0.001, 1.0001, 1e9, math.nan, math.inf, -math.inf, "0.001", None, True, 1e400],
    "seed": [-1, 2**31, 1.5, "0", None],
    "shuffle_buffer": [0, -1, 1_000_001, "1000"],
    "lr_halving_epoch": [0, -5, 201, 2.0, "5"],
    "steps_per_execution": [0, 257, 1.0, None],
    "early_stopping_patience": [0, 201, "3"],
    "reduce_lr_patience": [-1, 10**6],
    "method": ["", "FIT", "fit ", "../../etc/passwd", "<img src=x>", None, 0],
}


@pytest.mark.parametrize(
    ("field", "value"), [(f, v) for f, values in PAST_THE_BOUNDS.items() for v in values], ids=lambda v: repr(v)[:20]
)
def test_settings_past_their_bounds_are_refused_with_a_message_naming_them(field, value):
    with pytest.raises(SettingsError) as caught:
        replace(RunSettings(), **{field: value}).validate()
    (problem,) = caught.value.problems
    assert problem.startswith(field + " must be"), problem


def test_absurd_settings_from_a_saved_record_or_a_link_are_refused(tiny_data):
    from core.links import settings_from_query
    from core.runs.jobs import TrainingJob
    from core.runs.slots import JobSlots

    with pytest.raises(SettingsError):
        RunSettings.from_dict({"epochs": "1e9", "batch_size": -1, "learning_rate": "nan", "unknown": 1}).validate()
    with pytest.raises(SettingsError):
        TrainingJob([RunSettings(max_len=40, learning_rate=math.inf)], tiny_data, slots=JobSlots(1))
    hostile = {
        "epochs": "-1",
        "batch_size": "99999999999",
        "max_len": "1",
        "learning_rate": "nan",
        "seed": "abc",
        "lr_halving_epoch": "1e3",
        "steps_per_execution": "inf",
        "early_stopping_patience": "<script>",
        "reduce_lr_patience": "9" * 5000,
    }
    settings, ignored = settings_from_query(hostile)
    assert settings == RunSettings() and sorted(ignored) == sorted(hostile)
    settings, ignored = settings_from_query({"learning_rate": "inf", "epochs": "3"})
    assert settings.epochs == 3 and ignored == ["learning_rate"]


@pytest.mark.parametrize("method", METHODS)
def test_settings_at_every_bound_at_once_train_safely(fixture_npz, method):
    """The largest batch, the shortest max_len, the largest rate, step group and buffer: a run that ends cleanly."""
    from core.training import run_training

    prepared = prepare_data(14, fixture_npz, download=False)
    settings = RunSettings(
        method=method,
        epochs=2,
        batch_size=MAX_BATCH_SIZE,
        max_len=14,
        learning_rate=1.0,
        seed=2**31 - 1,
        shuffle_buffer=1_000_000,
        lr_halving_epoch=1,
        steps_per_execution=256,
        early_stopping_patience=1,
        reduce_lr_patience=1,
    ).validate()
    record = run_training(settings, prepared)
    assert record.status == "finished", record.message
    assert 1 <= len(record.epochs) <= 2 and all(row.is_finite() for row in record.epochs)
    assert all(row.learning_rate <= 1.0 for row in record.epochs)
