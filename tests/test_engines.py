"""The engine fixtures start the real thing: PostgreSQL answers SQL, Ray reports its two CPUs."""

from __future__ import annotations

import pytest
from engines import postgres_url, ray_address, ray_logs  # noqa: F401 - pytest fixtures


@pytest.mark.postgres
def test_postgres_answers_a_query(postgres_url):  # noqa: F811 - the fixture
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
            assert conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"
    finally:
        engine.dispose()


@pytest.mark.ray
def test_ray_cluster_has_two_cpus(ray_address):  # noqa: F811 - the fixture
    import subprocess
    import sys

    # A separate driver process, as an app server would be, so this test process stays free of Ray.
    probe = f"import ray; ray.init(address={ray_address!r}, log_to_driver=False); print(ray.cluster_resources().get('CPU'))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:] + ray_logs(ray_address)
    assert result.stdout.strip().splitlines()[-1] == "2.0"
