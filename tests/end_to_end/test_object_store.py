"""The list and sources in a real object store: s3:// through s3fs, against
moto's S3 server on loopback. The sample campaign audited from the bucket
(a single file, a folder of parts, a glob on --engine dask) writes the bytes
the local files give."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

s3fs = pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

from tests.conftest import REPO, Workspace  # noqa: E402

SOURCES = ("consent", "contact_history", "orders", "seed_list")
AS_OF = ("--as-of", "2026-11-20", "--offer", "Aurora X2")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Bucket ``crm`` holding the sample data, and the cases again as two
    parts; credentials and the endpoint in the environment, where s3fs (and
    Dask's worker processes) find them."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint})
    if not fs.exists("crm"):
        fs.mkdir("crm")
    for path in (REPO / "sample_data").iterdir():
        if path.suffix in (".csv", ".yaml"):
            fs.pipe(f"crm/{path.name}", path.read_bytes())
    lines = (REPO / "sample_data" / "cases.csv").read_bytes().splitlines(keepends=True)
    fs.pipe("crm/cases-parts/part-1.csv", b"".join(lines[:60]))
    fs.pipe("crm/cases-parts/part-2.csv", lines[0] + b"".join(lines[60:]))
    return "s3://crm"


def _audit(ws: Workspace, campaign: str, cases: str, out: str, *extra: str):
    args = ["audit", campaign, "--rules", str(REPO / "rules.yaml"), *AS_OF, "-q", "--out", out]
    for name in SOURCES:
        args += ["--source", f"{name}={os.path.dirname(campaign)}/{name}.csv"]
    return ws.cli(*args, "--source", f"cases={cases}", *extra)


@pytest.mark.parametrize(
    ("cases", "extra"),
    [
        ("crm/cases.csv", ()),
        ("crm/cases-parts/", ()),
        ("crm/cases-parts/part-*.csv", ("--engine", "dask")),
    ],
)
def test_the_sample_from_a_bucket_gives_the_local_bytes(
    ws: Workspace, bucket: str, cases: str, extra: tuple[str, ...]
) -> None:
    shutil.copytree(REPO / "sample_data", ws.root / "sample_data")
    local = _audit(ws, "sample_data/campaign.csv", "sample_data/cases.csv", "local")
    remote = _audit(ws, f"{bucket}/campaign.csv", f"s3://{cases}", "remote", *extra)
    assert local.exit_code == remote.exit_code == 0, remote.stderr
    for name in ("cleaned.csv", "suppressed.csv", "flagged.csv"):
        assert (ws.root / "local" / name).read_bytes() == (ws.root / "remote" / name).read_bytes()
    assert "48 suppressed" in remote.stderr  # the sidecar in the bucket was read too
    report = (ws.root / "remote" / "report.json").read_text(encoding="utf-8")
    assert '"campaign_settings_file": "s3://crm/campaign.campaign.yaml"' in report


def test_a_missing_object_is_file_not_found(ws: Workspace, bucket: str) -> None:
    result = ws.cli("audit", f"{bucket}/nope.csv", "--rules", str(REPO / "rules.yaml"), "-q")
    assert result.exit_code == 2
    assert result.stderr == "cxaudit: error: s3://crm/nope.csv: file not found; check the path\n"
    assert not Path(ws.root / "cxaudit-out").exists()
