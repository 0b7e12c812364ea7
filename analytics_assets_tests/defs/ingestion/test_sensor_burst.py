"""The `nocodb_new_rows` sensor under a burst of new NocoDB rows (issue 18).

A real NocoDB base of the test's own gets `BURST` message rows over `len(DAYS)` days at once
(bulk inserts); the sensor is then ticked with `build_sensor_context`, each tick starting from
the cursor the previous one returned, as the daemon does. A tick reads at most
`NOCODB_SENSOR_MAX_ROWS` rows a table, so the burst takes several ticks: together they must
request exactly the touched partitions with bounded memory, and a tick after the burst
requests nothing. Tick times are printed, not asserted (speed belongs to benchmarks/).

In `make test`: 5,000 rows, 1,000 a tick (inserting runs ~330 rows/s on the shared machine,
so 100k would take ~5 min). The 100k burst at the default 20,000 a tick is the benchmark
command in benchmarks/README.md ("sensor under a burst"):
`SENSOR_BURST_ROWS=100000 SENSOR_BURST_MAX_ROWS=20000 .venv/bin/python -m pytest -s
analytics_assets_tests/defs/ingestion/test_sensor_burst.py`.
"""

from __future__ import annotations

import json
import os
import resource
import time
import tracemalloc
from datetime import date, timedelta

import pytest
from dagster import DagsterInstance, SensorResult, SkipReason, build_sensor_context

from analytics_assets.defs.ingestion.sensors import nocodb_new_rows
from analytics_assets_tests.fixtures.nocodb import (
    DifyBase,
    NocoDBTestServer,
    insert_frame,
    wire_rows,
)

BURST = int(os.environ.get("SENSOR_BURST_ROWS", "5000"))
MAX_ROWS = int(os.environ.get("SENSOR_BURST_MAX_ROWS", "1000"))
DAYS = tuple(date(2026, 11, 1) + timedelta(days=i) for i in range(10))
# Peak memory of one tick: Python allocations (tracemalloc) and the growth of the process's
# peak RSS (Polars allocates outside tracemalloc's sight). A tick holds at most MAX_ROWS rows a
# table of three columns (Id, UpdatedAt, created_at); measured peaks are in benchmarks/README.md.
TICK_PEAK_BOUND_MB = 200


@pytest.mark.slow
@pytest.mark.nocodb
def test_a_burst_of_new_rows_is_paged_into_exactly_the_touched_partitions(
    nocodb_server: NocoDBTestServer, nocodb_scratch: DifyBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOCODB_SENSOR_MAX_ROWS", str(MAX_ROWS))
    client = nocodb_server.client()
    _, messages = wire_rows(DAYS, seed=5, messages_per_day=BURST // len(DAYS))
    started = time.perf_counter()
    insert_frame(client, nocodb_scratch.messages_table_id, messages, workers=8)
    inserted_s = time.perf_counter() - started
    source = nocodb_server.resource(nocodb_scratch)

    requested: set[str] = set()
    figures: list[tuple[float, float, int]] = []
    rss_peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cursor: str | None = None
    with DagsterInstance.ephemeral() as instance:
        for _ in range(BURST // MAX_ROWS + 3):
            context = build_sensor_context(
                cursor=cursor, instance=instance, resources={"source": source}
            )
            tracemalloc.start()
            tick_started = time.perf_counter()
            result = nocodb_new_rows(context)
            seconds = time.perf_counter() - tick_started
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            if isinstance(result, SkipReason):
                break
            assert isinstance(result, SensorResult)
            figures.append((seconds, peak, len(result.run_requests)))
            requested |= {r.partition_key for r in result.run_requests}
            assert result.cursor and result.cursor != cursor  # every tick moves on
            cursor = result.cursor
        else:
            pytest.fail(f"the sensor never drained the burst: {figures}")
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_peak_before
        print(
            f"burst {messages.height} rows inserted in {inserted_s:.1f} s; {len(figures)} ticks of "
            f"<= {MAX_ROWS} rows: "
            + ", ".join(f"{s:.2f} s / {p:.1f} MiB / {n} runs" for s, p, n in figures)
            + f"; peak RSS grew {rss_growth:.0f} MiB over the ticks"
        )
        # Exactly the UTC days the rows fall on (a conversation past midnight puts some of a
        # day's messages on the next one), no more, no fewer.
        touched = set(messages["created_at"].str.slice(0, 10).to_list())
        assert len(touched) >= len(DAYS)
        assert requested == touched
        assert json.loads(cursor)["tables"]["messages"]["max_id"] == messages.height
        assert len(figures) >= BURST // MAX_ROWS  # paged, not read in one go
        assert all(p < TICK_PEAK_BOUND_MB for _, p, _ in figures), figures
        assert rss_growth < TICK_PEAK_BOUND_MB, rss_growth
        # The next tick, from the last cursor: nothing new, nothing requested.
        again = nocodb_new_rows(
            build_sensor_context(cursor=cursor, instance=instance, resources={"source": source})
        )
        assert isinstance(again, SkipReason)
