"""Where runs live: one SQL database, SQLite by default, PostgreSQL by URL.

Written with SQLAlchemy 2.0 Core, as its tutorial does: one `Engine` per process
and URL, the tables declared once below, and `with engine.begin()` around every
write, so a write is all or nothing. Nothing here keeps session state between
threads; any thread may call any method.

- `runs`: one row per run (a computation): its settings, status, versions and
  fingerprint. A finished run doubles as the result cache for its fingerprint.
- `epochs`: the figures of each finished epoch, written as the epoch ends.
- `space_runs`: which space can see which run. A space is a visitor's own
  (`me:<id>`, private) or a class's (`class:<code>`, shared by its link). A run is
  reachable from a space only through a row here: by list, link or id.
- `classes`: the classes teachers opened: code, name, a hash of the teacher
  secret, who opened it (a visitor id), and when it was closed. A class space
  takes new runs only while its class is open here (core/classes.py).

Fair retention. Every run has an owner (the visitor who trained or imported it,
or `server` for the command line and old JSON records) and the space it was made
in. It counts against three quotas: its owner's (TRAINING_RUNS_PER_VISITOR), its
class's when made in one (TRAINING_RUNS_PER_CLASS) and the server's
(TRAINING_RUNS_PER_SERVER). `make_room` is the one check before new runs are
saved: when a quota is full, only the newcomer's *own* oldest finished runs may
go (for a class's quota, theirs in that class; for the others, their private
ones, which nobody else sees); if that is not enough the new runs are refused
with `QuotaFull`, which names the quota. So nobody's runs are ever removed to
make room for somebody else's, and one visitor's flood only churns their own.
`quota_refusal` answers the same question without changing anything.

Runs end honestly. A run in progress holds a lease (`lease_until`, on the
database's clock) that the process training it renews (`Leases`); a run whose
lease lapsed (a killed server, a lost worker) becomes `interrupted` with its
epochs kept, at start-up and every few seconds in every server, whatever the
database.

The default is a SQLite file ($TRAINING_DB_PATH, else `runs.sqlite3` in the runs
folder) in WAL mode, which several server processes on one machine can share;
`DATABASE_URL` (for example `postgresql+psycopg://user@host/db`) names any other.
The schema is created at start-up, under a lock where the database has one, so
several servers starting together do not race. JSON records from earlier
versions (`runs/*.json`) are imported once, into the server's own space.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import config
from core.classes import new_class_code, new_teacher_secret, secret_hash
from core.config import environment
from core.records import EpochRow, RunRecord, list_records, now_iso, runs_dir
from core.spaces import SERVER_SPACE, class_space, private_space, valid_class_code  # noqa: F401 - re-exported
from core.states import MessageCode, RunMessage, RunStatus, Source

log = logging.getLogger(__name__)

# The variables read here (their defaults and why: core.config).
DATABASE_URL_ENV, DB_PATH_ENV = config.DATABASE_URL_ENV, config.DB_PATH_ENV
SERVER_OWNER = "server"  # the owner of runs made outside the web app: no visitor's quota
INTERRUPTED = RunMessage(MessageCode.INTERRUPTED)  # a lapsed lease's run: its process ended without saying how
SCHEMA_VERSION = 2  # 2: runs.owner, runs.made_in, runs.lease_until

metadata = sa.MetaData()

schema_info = sa.Table(
    "schema_info",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(128), primary_key=True),
    sa.Column("fingerprint", sa.String(64), index=True),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("label", sa.String(256), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("settings", sa.Text, nullable=False),  # RunSettings.to_dict() as JSON
    sa.Column("versions", sa.Text, nullable=False),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("ended_at", sa.String(40)),
    sa.Column("created", sa.Float, nullable=False),  # seconds since the epoch: eviction order
    # The per-batch curve as JSON {"stride": s, "points": [[step, epoch, loss, accuracy, mean_loss, mean_accuracy], ...]}.
    sa.Column("batch_curve", sa.Text, nullable=False, server_default='{"stride": 1, "points": []}'),
    # Schema 2. Who made the run (a visitor id, or SERVER_OWNER; NULL for class runs made before
    # owners were kept), where (a space), and until when (database clock, seconds) its process vouches
    # that it is still running.
    sa.Column("owner", sa.String(80), index=True),
    sa.Column("made_in", sa.String(80), index=True),
    sa.Column("lease_until", sa.Float),
)

epoch_columns = [f.name for f in fields(EpochRow)]
epochs = sa.Table(
    "epochs",
    metadata,
    sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("epoch", sa.Integer, primary_key=True),
    *[sa.Column(name, sa.Float, nullable=False) for name in epoch_columns if name not in ("epoch", "finished_at")],
    sa.Column("finished_at", sa.String(40), nullable=False),
)

space_runs = sa.Table(
    "space_runs",
    metadata,
    sa.Column("space", sa.String(80), primary_key=True),
    sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("display_name", sa.String(64), nullable=False),
    sa.Column("how", sa.String(16), nullable=False),  # trained | joined | cached | imported
    sa.Column("added", sa.Float, nullable=False),
    sa.Index("space_runs_by_space", "space", "added"),
)

classes = sa.Table(
    "classes",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),  # xxxx-xxxx-xxxx (core/classes.py)
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("teacher_hash", sa.String(64), nullable=False),  # SHA-256 of the teacher secret, never the secret
    sa.Column("owner", sa.String(40)),  # the visitor id of who opened it: their own browser needs no teacher link
    sa.Column("opened", sa.Float, nullable=False),
    sa.Column("closed", sa.Float),  # set once: a closed class is read-only
)
CLASS_NAME_LENGTH = 40

# A run's files (core.run_files: what fit's logging callbacks wrote, and the callbacks that ran). A table
# added after schema 2 needs no version: create_all() makes it in an older database at start-up, and an
# older server never reads it.
run_files = sa.Table(
    "run_files",
    metadata,
    sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("path", sa.String(200), primary_key=True),  # relative to the run's folder, POSIX
    sa.Column("content", sa.LargeBinary, nullable=False),
)


@dataclass(frozen=True)
class ClassInfo:
    """An opened class as the sidebar shows it."""

    code: str
    name: str
    owner: str | None
    opened: float
    closed: float | None

    @property
    def is_open(self) -> bool:
        return self.closed is None


@dataclass(frozen=True)
class SpaceRun:
    """A run as a space sees it: the record, who added it there, and how."""

    record: RunRecord
    display_name: str
    how: Source
    added: float


def database_url() -> str:
    env = environment()
    if env.database_url:
        return env.database_url
    path = env.db_path or env.runs_dir / "runs.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


class TooManyClasses(Exception):
    """The visitor has opened as many classes as one visitor may (`TRAINING_CLASSES_PER_VISITOR`)."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"one visitor may open at most {limit} classes")


class QuotaFull(Exception):
    """New runs do not fit in a quota, even after removing the newcomer's own oldest finished runs.

    `quota` is "visitor", "class" or "server"; `message` names it, for the page to say in the session's
    language (the exception's own text is its English, for logs and the command line).
    """

    def __init__(self, quota: str, limit: int, used: int, wanted: int):
        self.quota, self.limit, self.used, self.wanted = quota, limit, used, wanted
        self.message = RunMessage(MessageCode(f"quota_{quota}"), {"limit": limit, "used": used, "wanted": wanted})
        super().__init__(str(self.message))


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Many threads of one server share the engine; WAL lets readers and one writer work at
        # once across processes, and busy_timeout makes a second writer wait instead of failing.
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        # An in-memory database exists once per connection: share one connection (tests, scripts).
        pool = {"poolclass": sa.pool.StaticPool} if in_memory else {}
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # a commit is on disk before it is reported saved
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


class RunStore:
    """Runs, their epochs and their spaces in one database. Safe to share between threads."""

    def __init__(
        self,
        url: str,
        *,
        per_visitor: int | None = None,
        per_class: int | None = None,
        per_server: int | None = None,
        lease_seconds: float | None = None,
        classes_per_visitor: int | None = None,
    ):
        self.url = url
        self.engine = _make_engine(url)
        env = environment()
        self.per_visitor = per_visitor or env.runs_per_visitor
        self.per_class = per_class or env.runs_per_class
        self.per_server = per_server or env.runs_per_server
        self.lease_seconds = lease_seconds or env.run_lease_seconds
        self.classes_per_visitor = classes_per_visitor or env.classes_per_visitor
        self._create_schema()
        self.leases = Leases(self)
        self.reap_lapsed_runs()  # whatever a killed server left "running" is shown as what it is

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- schema ---------------------------------------------------------------

    def _create_schema(self) -> None:
        """Create the tables once; several servers may start at the same moment."""
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    if self.dialect == "postgresql":
                        # One server at a time creates or migrates; the others wait, then find it done.
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(724100311)"))
                    metadata.create_all(conn)
                    current = conn.execute(sa.select(schema_info.c.value).where(schema_info.c.key == "version")).scalar()
                    if current is not None and int(current) > SCHEMA_VERSION:
                        raise RuntimeError(f"the database's schema is version {current}, newer than this app's {SCHEMA_VERSION}")
                    if current is not None and int(current) < 2:
                        self._migrate_to_2(conn)
                    if current is None or int(current) < SCHEMA_VERSION:
                        self._upsert(conn, schema_info, {"key": "version", "value": str(SCHEMA_VERSION)}, ["key"])
                return
            except (sa.exc.OperationalError, sa.exc.IntegrityError, sa.exc.ProgrammingError):
                # SQLite has no advisory lock: another process created a table between our check and our CREATE.
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    @staticmethod
    def _migrate_to_2(conn: Connection) -> None:
        """Schema 1 -> 2: add the owner, the space made in and the lease; fill the first two from the spaces.

        Every step can run again (SQLite runs DDL outside the transaction): a server killed halfway
        finishes it at its next start. A run's space is where it was trained or imported; its owner
        is the visitor of that private space, or the server's. Runs made in a class before owners
        were kept have none: they count for the class and the server, and no visitor can remove them.
        Runs left "running" have no lease: the start-up check marks them interrupted.
        """
        present = {column["name"] for column in sa.inspect(conn).get_columns("runs")}
        for column in (runs.c.owner, runs.c.made_in, runs.c.lease_until):
            if column.name not in present:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(sa.text(f"ALTER TABLE runs ADD COLUMN {column.name} {kind}"))
        for index in runs.indexes:
            index.create(conn, checkfirst=True)
        made_in = (
            sa.select(sa.func.min(space_runs.c.space))
            .where(space_runs.c.run_id == runs.c.run_id, space_runs.c.how.in_((Source.TRAINED.value, Source.IMPORTED.value)))
            .scalar_subquery()
        )
        conn.execute(runs.update().where(runs.c.made_in.is_(None)).values(made_in=made_in))
        private = runs.c.made_in.like("me:%")
        conn.execute(runs.update().where(runs.c.owner.is_(None), private).values(owner=sa.func.substr(runs.c.made_in, 4)))
        conn.execute(runs.update().where(runs.c.owner.is_(None), runs.c.made_in == SERVER_SPACE).values(owner=SERVER_OWNER))

    def _db_now(self) -> sa.ColumnElement:
        """Now, in seconds since 1970, on the database's clock: one clock for every server sharing it."""
        if self.dialect == "postgresql":
            return sa.cast(sa.literal_column("extract(epoch from clock_timestamp())"), sa.Float)
        return sa.literal_column("((julianday('now') - 2440587.5) * 86400.0)", sa.Float)

    def _upsert(
        self, conn: Connection, table: sa.Table, values: dict[str, Any], keys: list[str], keep: Iterable[str] = ()
    ) -> None:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(table).values(**values)
        # `keep`: columns a later save leaves as the first one set them (a NULL is still filled in).
        updates = {
            name: sa.func.coalesce(table.c[name], statement.excluded[name]) if name in keep else statement.excluded[name]
            for name in values
            if name not in keys
        }
        if updates:
            statement = statement.on_conflict_do_update(index_elements=keys, set_=updates)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=keys)
        conn.execute(statement)

    # -- writing --------------------------------------------------------------

    def save_run(self, record: RunRecord, *, owner: str | None = None, made_in: str | None = None) -> None:
        """Insert or update the run and replace its epochs, all in one transaction.

        `owner` and `made_in` are given when the run is first saved (the quotas count them) and kept
        by later saves, as is its creation time (the order runs are removed in). A run saved as
        running holds a lease from now; see `Leases`.
        """
        values = self._run_row(record)
        values["lease_until"] = self._db_now() + self.lease_seconds if record.status == RunStatus.RUNNING else None
        if owner is not None:
            values["owner"] = owner[:80]
        if made_in is not None:
            values["made_in"] = made_in[:80]
        with self.engine.begin() as conn:
            self._upsert(conn, runs, values, ["run_id"], keep=("created", "owner", "made_in"))
            conn.execute(epochs.delete().where(epochs.c.run_id == record.run_id))
            if record.epochs:
                conn.execute(epochs.insert(), [self._epoch_row(record.run_id, row) for row in record.epochs])

    def save_run_files(self, run_id: str, files: dict[str, bytes]) -> None:
        """Replace the run's files with `files` (path -> bytes), in one transaction; the run must be saved already."""
        with self.engine.begin() as conn:
            conn.execute(run_files.delete().where(run_files.c.run_id == run_id))
            if files:
                conn.execute(run_files.insert(), [{"run_id": run_id, "path": p, "content": c} for p, c in files.items()])

    def files_of(self, run_ids: Iterable[str]) -> dict[str, dict[str, bytes]]:
        """The files of each run that has some: run id -> {path: bytes}. For runs the caller may already see."""
        found: dict[str, dict[str, bytes]] = {}
        wanted = list(run_ids)
        if not wanted:
            return found
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(run_files).where(run_files.c.run_id.in_(wanted)).order_by(run_files.c.path))
            for row in rows.mappings():
                found.setdefault(row["run_id"], {})[row["path"]] = bytes(row["content"])
        return found

    def add_new_run(self, record: RunRecord, owner: str, space: str, display_name: str, how: Source) -> None:
        """Save a run someone made or imported, within their quotas, and list it in `space`. QuotaFull if it does not fit."""
        self.make_room(owner, space, 1)
        self.save_run(record, owner=owner, made_in=space)
        self.add_to_space(space, record.run_id, display_name, how)

    def add_epoch(self, run_id: str, row: EpochRow) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, epochs, self._epoch_row(run_id, row), ["run_id", "epoch"])

    def add_to_space(self, space: str, run_id: str, display_name: str, how: Source) -> None:
        """Make `run_id` visible in `space` (a link: it counts for no quota; the run itself does)."""
        values = {
            "space": space,
            "run_id": run_id,
            "display_name": display_name[:64],
            "how": Source(how).value,
            "added": time.time(),
        }
        with self.engine.begin() as conn:
            self._upsert(conn, space_runs, values, ["space", "run_id"])

    def save_imported(self, owner: str, space: str, records: list[RunRecord], display_name: str) -> None:
        """Save one imported file's runs and show them in `space`, in one transaction: all of them or none.

        The records come from core.exchange, checked and bounded, with new ids. They count against
        the importer's quotas (`make_room` in the same transaction: QuotaFull refuses the whole
        file). Within the file they keep their order on the page: the first run is the newest by a
        millisecond.
        """
        if not records:
            return
        now = time.time()
        with self.engine.begin() as conn:
            self._make_room(conn, owner, space, len(records))
            rows = [{**self._run_row(record), "owner": owner[:80], "made_in": space[:80]} for record in records]
            conn.execute(runs.insert(), rows)
            epoch_rows = [self._epoch_row(record.run_id, row) for record in records for row in record.epochs]
            if epoch_rows:
                conn.execute(epochs.insert(), epoch_rows)
            conn.execute(
                space_runs.insert(),
                [
                    {
                        "space": space,
                        "run_id": record.run_id,
                        "display_name": display_name[:64],
                        "how": Source.IMPORTED.value,
                        "added": now + (len(records) - position) / 1000,
                    }
                    for position, record in enumerate(records)
                ],
            )

    # -- quotas -----------------------------------------------------------------

    def make_room(self, owner: str, space: str, count: int = 1, conn: Connection | None = None) -> None:
        """Make room for `count` new runs by `owner` made in `space`, or raise QuotaFull naming the full quota.

        The quotas, in order: the owner's (none for SERVER_OWNER), the class's when `space` is a
        class, the server's. When one is full, only the owner's own oldest finished runs go: those
        made in that class for the class's quota, their private ones otherwise. Never a run in
        progress, never anybody else's. Pass `conn` to do it inside the caller's transaction (an
        import that saves its runs in the same one); otherwise it has its own.
        """
        if conn is None:
            with self.engine.begin() as own:
                self._make_room(own, owner, space, count)
        else:
            self._make_room(conn, owner, space, count)

    def quota_refusal(self, owner: str, space: str, count: int = 1) -> QuotaFull | None:
        """What `make_room(owner, space, count)` would refuse, without removing anything; None when it fits."""
        with self.engine.connect() as conn:
            transaction = conn.begin()
            try:
                self._make_room(conn, owner, space, count)
            except QuotaFull as refusal:
                return refusal
            finally:
                transaction.rollback()
        return None

    def _make_room(self, conn: Connection, owner: str, space: str, count: int) -> None:
        own_private = SERVER_SPACE if owner == SERVER_OWNER else private_space(owner)
        checks: list[tuple[str, sa.ColumnElement, int, str]] = []
        if owner != SERVER_OWNER:
            checks.append(("visitor", runs.c.owner == owner, self.per_visitor, own_private))
        if space.startswith("class:"):
            checks.append(("class", runs.c.made_in == space, self.per_class, space))
        checks.append(("server", sa.true(), self.per_server, own_private))
        for quota, counted, limit, removable_from in checks:
            used = conn.execute(sa.select(sa.func.count()).select_from(runs).where(counted)).scalar()
            extra = used + count - limit
            if extra <= 0:
                continue
            oldest = (
                conn.execute(
                    sa.select(runs.c.run_id)
                    .where(
                        counted, runs.c.owner == owner, runs.c.made_in == removable_from, runs.c.status != RunStatus.RUNNING.value
                    )
                    .order_by(runs.c.created)
                    .limit(extra)
                )
                .scalars()
                .all()
            )
            if len(oldest) < extra:
                raise QuotaFull(quota, limit, used, count)
            self._delete_runs(conn, oldest)

    @staticmethod
    def _delete_runs(conn: Connection, run_ids: list[str]) -> int:
        # Children first: not every database enforces ON DELETE CASCADE without being told.
        conn.execute(space_runs.delete().where(space_runs.c.run_id.in_(run_ids)))
        conn.execute(epochs.delete().where(epochs.c.run_id.in_(run_ids)))
        conn.execute(run_files.delete().where(run_files.c.run_id.in_(run_ids)))
        return conn.execute(runs.delete().where(runs.c.run_id.in_(run_ids))).rowcount

    # -- leases -----------------------------------------------------------------

    def renew_leases(self, run_ids: list[str]) -> int:
        """Extend the leases of these runs, which this process is still training; returns rows renewed.

        A run the check had already marked interrupted (this process stalled longer than a lease)
        is running again: its process says so, and its next save will carry its true state.
        """
        if not run_ids:
            return 0
        with self.engine.begin() as conn:
            return conn.execute(
                runs.update()
                .where(runs.c.run_id.in_(run_ids), runs.c.status.in_((RunStatus.RUNNING.value, RunStatus.INTERRUPTED.value)))
                .values(
                    status=RunStatus.RUNNING.value,
                    ended_at=None,
                    message=RunMessage().stored(),
                    lease_until=self._db_now() + self.lease_seconds,
                )
            ).rowcount

    def reap_lapsed_runs(self) -> int:
        """Mark every running run whose lease lapsed as interrupted (epochs kept); returns how many."""
        with self.engine.begin() as conn:
            lapsed = sa.or_(runs.c.lease_until.is_(None), runs.c.lease_until < self._db_now())
            return conn.execute(
                runs.update()
                .where(runs.c.status == RunStatus.RUNNING.value, lapsed)
                .values(status=RunStatus.INTERRUPTED.value, message=INTERRUPTED.stored(), ended_at=now_iso(), lease_until=None)
            ).rowcount

    def close(self) -> None:
        """Stop renewing and checking leases, and close the connections (tests; a process about to exit)."""
        self.leases.stop()
        self.engine.dispose()

    def remove_from_space(self, space: str, run_ids: list[str]) -> int:
        """Take runs out of `space` (a teacher tidying a class); the runs stay wherever else they are. Returns rows removed."""
        if not run_ids:
            return 0
        with self.engine.begin() as conn:
            return conn.execute(space_runs.delete().where(space_runs.c.space == space, space_runs.c.run_id.in_(run_ids))).rowcount

    # -- classes --------------------------------------------------------------

    def open_class(self, name: str, owner: str | None) -> tuple[str, str]:
        """A new class with a fresh random code; returns (code, teacher secret). Only the secret's hash is kept.

        TooManyClasses once `owner` has opened `classes_per_visitor` classes (closed ones count: their
        rows stay), so repeated clicks cannot fill the table.
        """
        if owner is not None:
            with self.engine.connect() as conn:
                opened = conn.execute(sa.select(sa.func.count()).select_from(classes).where(classes.c.owner == owner)).scalar()
            if opened >= self.classes_per_visitor:
                raise TooManyClasses(self.classes_per_visitor)
        secret = new_teacher_secret()
        for _attempt in range(5):
            code = new_class_code()
            values = {
                "code": code,
                "name": clean_class_name(name) or code,
                "teacher_hash": secret_hash(secret),
                "owner": owner,
                "opened": time.time(),
                "closed": None,
            }
            try:
                with self.engine.begin() as conn:
                    conn.execute(classes.insert().values(**values))
                return code, secret
            except sa.exc.IntegrityError:  # a code already taken (one chance in 2**60 per class): draw again
                continue
        raise RuntimeError("could not draw an unused class code")

    def class_info(self, code: str) -> ClassInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(classes).where(classes.c.code == code)).mappings().first()
        if row is None:
            return None
        return ClassInfo(row["code"], row["name"], row["owner"], row["opened"], row["closed"])

    def is_legacy_class(self, code: str) -> bool:
        """A class space used by links of earlier versions (any code opened it): it has runs, but was never opened here."""
        with self.engine.connect() as conn:
            used = conn.execute(sa.select(space_runs.c.run_id).where(space_runs.c.space == class_space(code)).limit(1)).first()
            opened = conn.execute(sa.select(classes.c.code).where(classes.c.code == code)).first()
        return used is not None and opened is None

    def is_teacher(self, code: str, *, visitor: str | None = None, secret: str | None = None) -> bool:
        """Whether the visitor who opened the class, or the holder of its teacher secret, is asking."""
        info = self.class_info(code)
        if info is None:
            return False
        if visitor is not None and info.owner == visitor:
            return True
        if secret is None:
            return False
        with self.engine.connect() as conn:
            stored = conn.execute(sa.select(classes.c.teacher_hash).where(classes.c.code == code)).scalar()
        return stored is not None and secrets.compare_digest(stored, secret_hash(secret))

    def rename_class(self, code: str, name: str) -> bool:
        cleaned = clean_class_name(name)
        if not cleaned:
            return False
        with self.engine.begin() as conn:
            return conn.execute(classes.update().where(classes.c.code == code).values(name=cleaned)).rowcount == 1

    def close_class(self, code: str) -> None:
        """Close the class for good: its runs stay visible to its link, nobody adds new ones."""
        with self.engine.begin() as conn:
            conn.execute(classes.update().where(classes.c.code == code, classes.c.closed.is_(None)).values(closed=time.time()))

    # -- reading --------------------------------------------------------------

    def space_runs(self, space: str) -> list[SpaceRun]:
        """The runs `space` can see, newest first."""
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(runs, space_runs.c.display_name, space_runs.c.how, space_runs.c.added)
                    .join(space_runs, space_runs.c.run_id == runs.c.run_id)
                    .where(space_runs.c.space == space)
                    .order_by(space_runs.c.added.desc())
                )
                .mappings()
                .all()
            )
            by_run = self._epochs_of(conn, [row["run_id"] for row in rows])
        return [
            SpaceRun(self._record(row, by_run.get(row["run_id"], [])), row["display_name"], Source(row["how"]), row["added"])
            for row in rows
        ]

    def run_in_space(self, space: str, run_id: str) -> SpaceRun | None:
        """One run, only if `space` can see it."""
        return next((run for run in self.space_runs(space) if run.record.run_id == run_id), None)

    def get_run(self, run_id: str) -> RunRecord | None:
        """Any run by id: for the server's own use (the hub, tests), never for a visitor's request."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).mappings().first()
            if row is None:
                return None
            return self._record(row, self._epochs_of(conn, [run_id]).get(run_id, []))

    def cached_result(self, fingerprint: str) -> RunRecord | None:
        """The latest finished run with this fingerprint and all its planned epochs, if any."""
        with self.engine.connect() as conn:
            candidates = (
                conn.execute(
                    sa.select(runs)
                    .where(runs.c.fingerprint == fingerprint, runs.c.status == RunStatus.FINISHED.value)
                    .order_by(runs.c.created.desc())
                )
                .mappings()
                .all()
            )
            for row in candidates:
                rows = self._epochs_of(conn, [row["run_id"]]).get(row["run_id"], [])
                record = self._record(row, rows)
                # Early stopping may end a run early on purpose: its message says so, and it is complete.
                if len(record.epochs) == record.settings.get("epochs") or record.message.code is MessageCode.EARLY_STOPPING:
                    return record
        return None

    def count_runs(self, *, owner: str | None = None, made_in: str | None = None) -> int:
        """Runs on the server; or those of one owner, or made in one space."""
        query = sa.select(sa.func.count()).select_from(runs)
        if owner is not None:
            query = query.where(runs.c.owner == owner)
        if made_in is not None:
            query = query.where(runs.c.made_in == made_in)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    # -- rows <-> records -----------------------------------------------------

    @staticmethod
    def _run_row(record: RunRecord) -> dict[str, Any]:
        return {
            "run_id": record.run_id,
            "fingerprint": record.fingerprint,
            "method": record.method,
            "label": record.label[:256],
            "status": RunStatus(record.status).value,
            "message": record.message.stored(),
            "settings": json.dumps(record.settings, sort_keys=True),
            "versions": json.dumps(record.versions, sort_keys=True),
            "started_at": record.started_at,
            "ended_at": record.ended_at,
            "created": time.time(),
            "batch_curve": json.dumps({"stride": record.batch_stride, "points": record.batches}),
        }

    @staticmethod
    def _epoch_row(run_id: str, row: EpochRow) -> dict[str, Any]:
        values = {name: getattr(row, name) for name in epoch_columns}
        values["run_id"] = run_id
        return values

    @staticmethod
    def _epochs_of(conn: Connection, run_ids: list[str]) -> dict[str, list[EpochRow]]:
        found: dict[str, list[EpochRow]] = {}
        for start in range(0, len(run_ids), 500):  # bounded IN lists
            chunk = run_ids[start : start + 500]
            rows = conn.execute(sa.select(epochs).where(epochs.c.run_id.in_(chunk)).order_by(epochs.c.run_id, epochs.c.epoch))
            for row in rows.mappings():
                values = {name: row[name] for name in epoch_columns}
                values["epoch"] = int(values["epoch"])
                found.setdefault(row["run_id"], []).append(EpochRow(**values))
        return found

    @staticmethod
    def _record(row: Any, epoch_rows: list[EpochRow]) -> RunRecord:
        curve = json.loads(row["batch_curve"] or "{}")
        return RunRecord(
            run_id=row["run_id"],
            method=row["method"],
            settings=json.loads(row["settings"]),
            label=row["label"],
            epochs=list(epoch_rows),
            status=RunStatus(row["status"]),
            message=RunMessage.from_stored(row["message"]),
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            versions=json.loads(row["versions"]),
            fingerprint=row["fingerprint"],
            batches=[tuple(point) for point in curve.get("points", [])],
            batch_stride=int(curve.get("stride", 1)),
        )

    # -- the JSON records of earlier versions ---------------------------------

    def import_json_folder_once(self, folder: Path | None = None) -> int:
        """Import `runs/*.json` into the server's space, once per database. Returns runs imported."""
        folder = folder or runs_dir()
        with self.engine.begin() as conn:
            done = conn.execute(sa.select(schema_info.c.value).where(schema_info.c.key == "json_imported")).scalar()
            if done is not None:
                return 0
            self._upsert(conn, schema_info, {"key": "json_imported", "value": str(folder)[:256]}, ["key"])
        records, _problems = list_records(folder)
        for record in records:
            if self.get_run(record.run_id) is None:
                record.fingerprint = None  # a file's claims never feed the result cache
                if record.status == RunStatus.RUNNING:  # whatever wrote it is long gone
                    record.end(RunStatus.INTERRUPTED, INTERRUPTED)
                try:
                    self.add_new_run(record, SERVER_OWNER, SERVER_SPACE, "", Source.IMPORTED)
                except QuotaFull:
                    break  # the server is full: the rest stay in their files
        return len(records)


def clean_class_name(name: object) -> str:
    """A class's name as typed, on one line and at most CLASS_NAME_LENGTH characters."""
    return " ".join(str(name or "").split())[:CLASS_NAME_LENGTH]


_stores: dict[str, RunStore] = {}
_stores_lock = threading.Lock()


def store_from_environment() -> RunStore:
    """This process's store for the configured URL (one engine per process and URL)."""
    url = database_url()
    with _stores_lock:
        store = _stores.get(url)
        if store is None:
            store = RunStore(url)
            store.import_json_folder_once()
            store.leases.start()  # this server checks for lapsed runs every few seconds, training or not
            _stores[url] = store
        return store


class Leases:
    """The leases of the runs this process trains, renewed from one small thread per store.

    A job holds a lease for each of its runs with a liveness check (`hold`); every quarter of a
    lease the thread renews those whose check says alive, forgets the others, and marks any run of
    any process whose lease lapsed as interrupted. A killed process renews nothing, so its runs
    lapse and the next check, here or in any other server, ends them honestly.
    """

    def __init__(self, store: RunStore):
        self.store = store
        self._held: dict[str, Callable[[], bool]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, run_id: str, alive: Callable[[], bool]) -> None:
        """Keep `run_id`'s lease while `alive()` says True."""
        with self._lock:
            self._held[run_id] = alive
        self.start()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="run-leases", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def held(self) -> list[str]:
        with self._lock:
            return list(self._held)

    def tick(self) -> None:
        """One round: renew what is alive, forget what ended, interrupt what lapsed anywhere."""
        with self._lock:
            held = list(self._held.items())
        alive: list[str] = []
        ended: list[str] = []
        for run_id, check in held:
            try:
                (alive if check() else ended).append(run_id)
            except Exception:  # noqa: BLE001 - a check that fails cannot vouch for its run
                ended.append(run_id)
        with self._lock:
            for run_id in ended:
                self._held.pop(run_id, None)
        self.store.renew_leases(alive)
        self.store.reap_lapsed_runs()

    def _run(self) -> None:
        while not self._stop.wait(self.store.lease_seconds / 4):
            try:
                self.tick()
            except Exception as error:  # noqa: BLE001 - a database hiccup: the next round tries again
                log.warning("could not renew or check run leases: %s: %s", type(error).__name__, error)
