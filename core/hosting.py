"""What the host keeps across a restart: whether the runs' database may vanish with it.

Streamlit Community Cloud runs the app from a checkout under /mount/src and
gives it a disk that a reboot, a redeploy or the sleep after 12 hours without
visitors wipes: the default SQLite file in the runs folder goes with it. A
`DATABASE_URL` names a database that lives elsewhere and survives.
`TRAINING_STORE_EPHEMERAL` (1 or 0) overrides the guess for any other host.
"""

from __future__ import annotations

from pathlib import Path

from core import config

EPHEMERAL_ENV = config.EPHEMERAL_ENV
COMMUNITY_CLOUD_CHECKOUT = Path("/mount/src")  # where Community Cloud clones the app's repository


def runs_may_vanish(app_folder: Path | None = None) -> bool:
    """True when the runs are in a local file on a host whose disk does not outlive a restart."""
    env = config.environment()
    if env.store_ephemeral in ("0", "1"):
        return env.store_ephemeral == "1"
    if env.database_url:
        return False
    folder = (app_folder or Path(__file__).resolve().parent.parent).resolve()
    return folder.is_relative_to(COMMUNITY_CLOUD_CHECKOUT)
