"""The S3 API answering 500 / 503 SlowDown and dropping connections on the lake's writes.

Real parts: the moto S3 server over HTTP, and in front of it the fault proxy
(`fixtures/fault_proxy.py`), which forwards every request except the PUTs of the partition's
key that its schedule marks. The lake's IO manager talks to the proxy exactly as it would to
AWS (s3fs/aiobotocore for writes, Polars' object store for reads); the assertions read the
bucket straight from moto, past the proxy.

What must hold (issue 18): transient faults are retried with backoff (botocore's `standard`
retry mode, `LakeIOManager.s3_max_attempts`) and the write lands whole; a server that keeps
failing fails the write with an error naming the S3 error, and the old partition stays whole
and readable; no temporary key is ever left (an S3 write is one PUT of the final key).
"""

from __future__ import annotations

from collections.abc import Callable

import boto3
import pytest

from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets_tests.fixtures.fault_proxy import Fault, FaultProxy
from analytics_assets_tests.fixtures.s3 import S3Server
from analytics_assets_tests.storage.test_parquet import day_frame
from analytics_assets_tests.storage.test_parquet_atomic import DAY, in_ctx, out_ctx

pytestmark = pytest.mark.s3

PUT_ONLY = frozenset({"PUT"})


def _keys(s3: S3Server, prefix: str) -> list[str]:
    bucket, _, root = prefix.removeprefix("s3://").partition("/")
    client = boto3.client("s3", endpoint_url=s3.endpoint_url, region_name=s3.region)
    listed = client.list_objects_v2(Bucket=bucket, Prefix=root)
    return sorted(o["Key"].removeprefix(root + "/") for o in listed.get("Contents", []))


def _through(proxy: FaultProxy, prefix: str, s3: S3Server) -> LakeIOManager:
    return LakeIOManager(base_path=prefix, s3_endpoint_url=proxy.url, aws_region=s3.region)


def _direct(prefix: str, s3: S3Server) -> LakeIOManager:
    """The same lake, straight to moto: what a reader sees (faults are on the writes only)."""
    return LakeIOManager(base_path=prefix, s3_endpoint_url=s3.endpoint_url, aws_region=s3.region)


@pytest.mark.parametrize(
    "faults",
    [
        {0: Fault("500"), 1: Fault("500")},
        {0: Fault("slowdown"), 1: Fault("slowdown"), 2: Fault("slowdown")},
        {0: Fault("drop"), 1: Fault("503")},
        {0: Fault("500"), 1: Fault("drop"), 2: Fault("slowdown")},
    ],
    ids=["500-twice", "slowdown-three-times", "drop-then-503", "mixed"],
)
def test_transient_faults_on_put_are_retried_and_the_write_lands_whole(
    faults: dict[int, Fault],
    s3_server: S3Server,
    s3_prefix: str,
    fault_proxy: Callable[..., FaultProxy],
) -> None:
    proxy = fault_proxy(s3_server.endpoint_url, faults, match="part-0.parquet", methods=PUT_ONLY)
    io = _through(proxy, s3_prefix, s3_server)
    old, new = day_frame(DAY, 4), day_frame(DAY, 9)
    direct = _direct(s3_prefix, s3_server)
    direct.handle_output(out_ctx(), old)

    io.handle_output(out_ctx(), new)

    done = proxy.faults_done()
    assert done.pop("ok") == 1  # the one PUT that went through, after every fault
    assert done == {kind: list(faults.values()).count(Fault(kind)) for kind in done}
    assert sum(done.values()) == len(faults)  # each scheduled fault really happened
    assert direct.load_input(in_ctx()).equals(new)
    assert _keys(s3_server, s3_prefix) == [f"t/date={DAY}/part-0.parquet"]


def test_a_server_that_keeps_failing_fails_the_write_and_keeps_the_old_partition(
    s3_server: S3Server, s3_prefix: str, fault_proxy: Callable[..., FaultProxy]
) -> None:
    proxy = fault_proxy(
        s3_server.endpoint_url, lambda _n: Fault("500"), match="part-0.parquet", methods=PUT_ONLY
    )
    direct = _direct(s3_prefix, s3_server)
    old = day_frame(DAY, 4)
    direct.handle_output(out_ctx(), old)
    io = _through(proxy, s3_prefix, s3_server)

    with pytest.raises(Exception, match="InternalError|internal error") as failure:
        io.handle_output(out_ctx(), day_frame(DAY, 9))

    attempts = proxy.faults_done().get("500", 0)
    assert attempts >= io.s3_max_attempts  # retried before giving up, not failed at once
    assert "testing" not in str(failure.value)  # no credential in the error
    assert direct.load_input(in_ctx()).equals(old)
    assert _keys(s3_server, s3_prefix) == [f"t/date={DAY}/part-0.parquet"]  # no temporary key
