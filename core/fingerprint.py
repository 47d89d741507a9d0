"""A run's fingerprint: one hash of everything that decides its numbers.

Training here is deterministic given its inputs (seeded initial weights and
batch order, no global state; tests show every run equals its solo run under
load). So two runs with the same method, the same settings, the same data and
the same TensorFlow/Keras give the same figures, and one computation can serve
both. The fingerprint is what the hub and the store key that on: change any
setting, a byte of the padded data, or a library version, and it changes.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping

from core.settings import LOGGING_FIELDS, RunSettings

# The packages whose version can change a run's numbers (tensorflow-cpu is TensorFlow's Linux build).
NUMERIC_PACKAGES = ("tensorflow", "tensorflow-cpu", "keras", "numpy")


def numeric_versions(versions: Mapping[str, str] | None = None) -> dict[str, str]:
    """The versions of NUMERIC_PACKAGES, from `versions` or this process's installed packages."""
    if versions is None:
        versions = _installed_versions()
    return {name: str(versions[name]) for name in NUMERIC_PACKAGES if name in versions}


@functools.cache
def _installed_versions() -> dict[str, str]:
    from core.records import library_versions  # reads package metadata: once per process

    return library_versions()


def run_fingerprint(settings: RunSettings, data_hash: str, versions: Mapping[str, str] | None = None) -> str:
    """A 32-hex-digit key for (method and every setting, the data's content hash, the library versions)."""
    chosen = settings.validate().to_dict()
    # A logging callback that is off is left out, so the keys of runs made before these settings existed stay
    # the same; one that is on makes another computation (its result carries the callback's files).
    for name in LOGGING_FIELDS:
        if not chosen[name]:
            del chosen[name]
    payload = {
        "settings": chosen,
        "data": data_hash,
        "versions": numeric_versions(versions),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
