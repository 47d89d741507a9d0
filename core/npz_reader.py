"""Reading an untrusted `reuters.npz` without running anything hidden in it.

Owns the path from a file's bytes (a path on disk or an upload) to validated
arrays: the zip and size limits that make a hostile archive fail fast, the
restricted unpickler that rebuilds NumPy arrays and integer scalars and nothing
else, and the checks that the arrays are Reuters data (ragged lists of integer
word ids, one topic id per newswire). Every refusal is a `DataError` whose
message names what is wrong, quoted so a page can render it safely. `core.data`
re-exports everything callers import from here; this module imports nothing of
the app's, so the two form no cycle.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from typing import IO, Any

import numpy as np

# Limits that make a hostile upload fail fast instead of filling memory: the
# real file unpacks to about 4 MB, so 64 MB leaves room for bigger honest files.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_NEWSWIRES = 200_000
# A pickle can list the same newswire many times for a few bytes each, so neither
# the file's size nor its unpacked size bounds the decoded data: count its tokens
# (the real file has 1.6 million). Preparing costs about 1.5 s and 80 MB per
# million tokens (a crafted 12 kB file of 16 million took 24 s and 1.3 GB), so a
# file may hold 2.5 times the real one's.
MAX_TOKENS = 4_000_000
# The Embedding gets a row per word id: an id of a billion would ask for 28 GB of
# weights. The real file's largest id is 30,979.
MAX_WORD_ID = 1_000_000

# The Reuters topic names (keras.datasets.reuters.get_label_names()), kept here
# so the names are available without importing TensorFlow; a test checks they
# equal Keras's list. A file's labels must index into them.
TOPIC_NAMES: tuple[str, ...] = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton",
    "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal",
    "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei",
    "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog",
    "lead",
)  # fmt: skip


class DataError(Exception):
    """Base of every data problem; its message is meant for the person reading it."""


class DatasetUnavailableError(DataError):
    """No Reuters file could be found or downloaded.

    `problem` says what went wrong; `advice` how to supply the data (core.data.how_to_supply_data).
    The message is both, for the command line; the app shows `problem` above its own, translated advice.
    """

    def __init__(self, problem: str, advice: str = ""):
        self.problem, self.advice = problem, advice
        super().__init__(f"{problem} {advice}".strip())


class InvalidDatasetError(DataError):
    """A file was found but is not a valid Reuters archive; the message says why."""


# np.savez of token lists built from NumPy arrays pickles every token as a NumPy
# scalar, `scalar(dtype('int64'), b'<8 raw bytes>')`. NumPy's reconstructor takes
# any dtype, and for the object dtype it hands back whatever object it is given,
# so it is never called: the name resolves to `_integer_scalar`, which decodes the
# bytes itself and only for an integer dtype.
_SCALAR_RECONSTRUCTORS = frozenset({("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")})


def _integer_scalar(*args: object) -> int:
    """A pickled NumPy integer scalar as a plain int (what the real file's lists hold); any other scalar is refused."""
    if len(args) != 2:
        raise pickle.UnpicklingError(f"it asks to rebuild a NumPy scalar from {len(args)} arguments instead of 2")
    dtype, raw = args
    if not isinstance(dtype, np.dtype):
        raise pickle.UnpicklingError(
            f"it asks to rebuild a NumPy scalar from a {_quoted(type(dtype).__name__)} instead of a dtype"
        )
    # kind "i"/"u" with no fields or sub-array: int8 to int64 and uint8 to uint64, nothing else
    # (not bool, not float, not the object dtype, which could carry any object).
    if dtype.kind not in "iu" or dtype.names is not None or dtype.subdtype is not None or dtype.itemsize not in (1, 2, 4, 8):
        raise pickle.UnpicklingError(f"it asks to rebuild a NumPy scalar of type {_quoted(dtype.name)}; word ids are integers")
    if not isinstance(raw, bytes) or len(raw) != dtype.itemsize:
        if isinstance(raw, bytes):
            given = f"{len(raw):,} bytes"
        else:  # text is how a Python 2 pickle stores the bytes; those files are not accepted
            given = f"{len(raw):,} characters of text" if isinstance(raw, str) else f"a {_quoted(type(raw).__name__)}"
        raise pickle.UnpicklingError(f"a NumPy {dtype.name} scalar takes {dtype.itemsize} bytes of data, it gives {given}")
    return int(np.frombuffer(raw, dtype=dtype)[0])


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays and integer scalars and nothing else.

    The Reuters arrays are ragged lists stored as pickles; a plain
    `np.load(allow_pickle=True)` would run whatever a tampered file asks for.
    The array names are the allow-list Keras 3.15 uses; NumPy integer scalars
    go through `_integer_scalar`.
    """

    ALLOWED = frozenset(
        {
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        if (module, name) in _SCALAR_RECONSTRUCTORS:
            return _integer_scalar
        raise pickle.UnpicklingError(f"it asks to run {_quoted(module + '.' + name)}, which a data file never needs")


def _read_npy(stream: IO[bytes]) -> np.ndarray:
    """One .npy member: numeric arrays with pickling off, object arrays through the allow-list."""
    version = np.lib.format.read_magic(stream)
    if version[0] == 1:
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
    else:
        # Format 3.0 differs from 2.0 only in the header's text encoding.
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        array = _NumpyOnlyUnpickler(stream).load()
        if not isinstance(array, np.ndarray):
            raise pickle.UnpicklingError("the pickled member is not an array")
        return array
    count = int(np.prod(shape, dtype=np.int64))
    data = stream.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise ValueError("the array is shorter than its header says (truncated file)")
    array = np.frombuffer(data, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran_order else "C")


def _quoted(text: object, limit: int = 120) -> str:
    """Text that comes from a file, safe in a message a page renders as Markdown.

    One inline code span (no links, HTML or emphasis inside), without backticks or
    line breaks that could end it, and bounded in length.
    """
    plain = "".join(ch if ch.isprintable() and ch != "`" else " " for ch in str(text)).strip()
    return f"`{plain[:limit] + ('…' if len(plain) > limit else '') or ' '}`"


def _quoted_names(names: list[str], limit: int = 10) -> str:
    if not names:
        return "nothing"
    shown = ", ".join(_quoted(n, 60) for n in names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def read_reuters_npz(source: str | os.PathLike[str] | bytes | IO[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The raw `x` (ragged token lists) and `y` (topic ids) of a reuters.npz, validated.

    `source` is a path, the file's bytes (an upload) or a binary stream. Raises
    InvalidDatasetError naming what is wrong; never executes code from the file.
    """
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    name = str(source) if isinstance(source, (str, os.PathLike)) else "the uploaded file"
    try:
        archive = zipfile.ZipFile(source)
    except FileNotFoundError as error:
        # Where else to look is core.data's to say (its `read_reuters_npz` adds it): this module knows files only.
        raise DatasetUnavailableError(f"{name} does not exist.") from error
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InvalidDatasetError(f"{name} is not a .npz archive (not a readable zip file: {error}).") from error
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        missing = [key for key in ("x.npy", "y.npy") if key not in members]
        if missing:
            raise InvalidDatasetError(
                f"{name} is not a Reuters archive: it has no {' or '.join(m[:-4] for m in missing)} array "
                f"(found: {_quoted_names(sorted(members))})."
            )
        arrays: dict[str, np.ndarray] = {}
        for key in ("x", "y"):
            info = members[f"{key}.npy"]
            if info.file_size > MAX_UNPACKED_BYTES:
                raise InvalidDatasetError(
                    f"{name}: the {key} array unpacks to {info.file_size:,} bytes, over the "
                    f"{MAX_UNPACKED_BYTES:,}-byte limit (the real file's is about 4 MB)."
                )
            try:
                with archive.open(info) as member:
                    # Read one byte past the limit: a lying header cannot make us read more.
                    raw = member.read(MAX_UNPACKED_BYTES + 1)
                if len(raw) > MAX_UNPACKED_BYTES:
                    raise InvalidDatasetError(f"{name}: the {key} array is larger than the archive says.")
                arrays[key] = _read_npy(io.BytesIO(raw))
            except InvalidDatasetError:
                raise
            except pickle.UnpicklingError as error:
                raise InvalidDatasetError(f"{name}: the {key} array was refused: {error}.") from error
            except Exception as error:  # zlib, EOF, bad header, bad CRC: all mean a broken file
                raise InvalidDatasetError(
                    f"{name}: the {key} array cannot be read ({type(error).__name__}: {_quoted(error)}); "
                    "the file is damaged or truncated."
                ) from error
    return _validated(arrays["x"], arrays["y"], name)


def _validated(xs: np.ndarray, labels: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Check the shape of the data a Reuters file must have; return int arrays."""
    if xs.ndim != 1 or labels.ndim != 1:
        raise InvalidDatasetError(f"{name}: x and y must be one-dimensional lists, got shapes {xs.shape} and {labels.shape}.")
    if len(xs) == 0:
        raise InvalidDatasetError(f"{name}: the archive holds no newswires.")
    if len(xs) > MAX_NEWSWIRES:
        raise InvalidDatasetError(f"{name}: {len(xs):,} newswires is more than the {MAX_NEWSWIRES:,} this app accepts.")
    if len(xs) != len(labels):
        raise InvalidDatasetError(f"{name}: x has {len(xs):,} newswires but y has {len(labels):,} labels.")
    if labels.dtype.kind not in "iu":
        raise InvalidDatasetError(f"{name}: labels must be integers, got {labels.dtype.name}.")
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= len(TOPIC_NAMES):
        raise InvalidDatasetError(
            f"{name}: labels must be topic ids from 0 to {len(TOPIC_NAMES) - 1}, found values from {low} to {high}."
        )
    # Count first (len() costs nothing), so a few bytes that name one list many times convert nothing.
    words = sum(s.size if isinstance(s, np.ndarray) else len(s) if isinstance(s, (list, tuple)) else 1 for s in xs)
    if words > MAX_TOKENS:
        raise InvalidDatasetError(
            f"{name}: the newswires hold {words:,} words in all, more than the {MAX_TOKENS:,} this app accepts "
            "(the real file has about 1.6 million); nothing was prepared."
        )
    sequences = []
    for position, sequence in enumerate(xs):
        if isinstance(sequence, (list, tuple)):
            # Before np.asarray: nested lists would be unfolded into an array as large as they
            # claim (a 2 kB pickle can ask for gigabytes), or fail with a bare ValueError.
            odd = [t for t in sequence if not isinstance(t, (int, np.integer))][:1]
            if odd:
                raise InvalidDatasetError(
                    f"{name}: newswire {position} is not a list of integer word ids (it holds a {type(odd[0]).__name__})."
                )
        tokens = np.asarray(sequence)
        if tokens.ndim != 1 or (tokens.size and tokens.dtype.kind not in "iu"):
            raise InvalidDatasetError(
                f"{name}: newswire {position} is not a list of integer word ids (got {tokens.dtype.name}, shape {tokens.shape})."
            )
        if tokens.size and int(tokens.min()) < 0:
            raise InvalidDatasetError(f"{name}: newswire {position} has a negative word id.")
        if tokens.size and int(tokens.max()) > MAX_WORD_ID:
            raise InvalidDatasetError(
                f"{name}: newswire {position} has the word id {int(tokens.max()):,}, over the {MAX_WORD_ID:,} this app "
                "accepts (the real file's largest is 30,979)."
            )
        sequences.append(tokens.astype(np.int64, copy=False))
    clean = np.empty(len(sequences), dtype=object)
    clean[:] = sequences
    return clean, labels.astype(np.int64)
