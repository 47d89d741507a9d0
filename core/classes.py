"""Class codes that are opened, not guessed, and the brakes on guessing them.

A teacher's "Open a class" makes two secrets: the class code (twelve characters
of Crockford's base-32 alphabet in three groups, `kx7m-3pq9-td2a`: 60 bits,
readable aloud because it has no i, l, o or u) that students type or follow,
and a teacher secret (144 bits) that only the teacher's link carries. The store
keeps the code and a hash of the teacher secret (core/store.py, `classes`).

A code that was never opened opens nothing. Wrong codes are slowed down twice
over: one session may try a few, then must wait longer after each further wrong
one (`SessionAttempts`); and the whole server process accepts at most
`TRAINING_UNKNOWN_CODES_PER_MINUTE` lookups of unknown codes a minute, whichever
sessions they come from (`ServerAttempts`). Neither ever sleeps: an attempt
that comes too soon is refused with the time left, so no thread is held. Time
comes from `CLOCK`, which tests replace.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from core.config import Environment, environment

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base 32: 5 bits a character, no i, l, o, u
GROUPS, GROUP_LENGTH = 3, 4  # 12 characters: 60 bits
CODE_SHAPE = re.compile(rf"[{ALPHABET}]{{{GROUP_LENGTH}}}(?:-[{ALPHABET}]{{{GROUP_LENGTH}}}){{{GROUPS - 1}}}")
# What people mistype or mishear in this alphabet, read as the character meant (Crockford's decoding).
_READ_AS = str.maketrans({"o": "0", "i": "1", "l": "1"})

FREE_WRONG_CODES = 3  # a session's first wrong codes cost nothing: typos happen
FIRST_WAIT_SECONDS = 2.0  # then 2 s, 4 s, 8 s ... after each further wrong code
LONGEST_WAIT_SECONDS = 300.0
DEFAULT_UNKNOWN_PER_MINUTE = Environment.unknown_codes_per_minute  # TRAINING_UNKNOWN_CODES_PER_MINUTE unset

CLOCK = time.monotonic  # seconds; tests replace it to step time without waiting


def new_class_code() -> str:
    """A fresh random class code, `xxxx-xxxx-xxxx` (60 bits from the operating system's generator)."""
    characters = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    return "-".join(characters[start : start + GROUP_LENGTH] for start in range(0, len(characters), GROUP_LENGTH))


def readable_code(code: str) -> str | None:
    """`code` as an opened class's code would be written, with misheard letters read as meant; None if it has not that shape."""
    written = code.strip().lower().replace(" ", "-").translate(_READ_AS)
    return written if CODE_SHAPE.fullmatch(written) else None


def new_teacher_secret() -> str:
    return secrets.token_urlsafe(18)  # 144 bits


def secret_hash(secret: str) -> str:
    """What the store keeps of a secret: its SHA-256, so a copy of the database opens no class."""
    return hashlib.sha256(f"three-ways teacher:{secret}".encode()).hexdigest()


@dataclass
class SessionAttempts:
    """One session's wrong class codes: free at first, then a wait that doubles with each."""

    wrong: int = 0
    last_wrong: float = 0.0

    def wait_left(self, now: float) -> float:
        """Seconds before this session may try another code (0: now)."""
        if self.wrong < FREE_WRONG_CODES:
            return 0.0
        wait = min(LONGEST_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2 ** (self.wrong - FREE_WRONG_CODES))
        return max(0.0, self.last_wrong + wait - now)

    def record_wrong(self, now: float) -> None:
        self.wrong += 1
        self.last_wrong = now


@dataclass
class ServerAttempts:
    """Lookups of unknown codes in the last minute, from every session of this process."""

    per_minute: int
    _times: deque = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _forget_old(self, now: float) -> None:
        while self._times and self._times[0] <= now - 60.0:
            self._times.popleft()

    def wait_left(self, now: float) -> float:
        """Seconds until the server accepts a lookup again (0: now)."""
        with self._lock:
            self._forget_old(now)
            if len(self._times) < self.per_minute:
                return 0.0
            return max(0.0, self._times[0] + 60.0 - now)

    def record_unknown(self, now: float) -> None:
        with self._lock:
            self._forget_old(now)
            self._times.append(now)


_server_attempts: ServerAttempts | None = None
_server_lock = threading.Lock()


def replace_server_attempts(attempts: ServerAttempts | None) -> None:
    """Make `attempts` the process's count; None: the next `server_attempts()` starts afresh, as a restarted server."""
    global _server_attempts
    with _server_lock:
        _server_attempts = attempts


def server_attempts() -> ServerAttempts:
    """This process's count of unknown-code lookups (one per server, shared by its sessions)."""
    global _server_attempts
    with _server_lock:
        if _server_attempts is None:
            _server_attempts = ServerAttempts(environment().unknown_codes_per_minute)
        return _server_attempts
