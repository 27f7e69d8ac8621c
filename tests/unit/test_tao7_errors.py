"""NVIDIA's TAO 7 error catalogs (skills/models/<skill>/references/*errors*.md, carried into
tao_tui/data/tao7/<release>.json by scripts/gen_tao7.py) as explained errors with fixes.

Every catalog entry that names text a TAO 7 container prints must become an error event with a fix when
that text appears in a run's log; the entries that are about NVIDIA's own agent orchestration (S3
uploads, the SDK's resolver) or that tao-tui prevents by construction are listed here with the reason.
A new catalog entry fails this test until it is handled one way or the other."""

from __future__ import annotations

import pytest

from tao_tui import catalog as cat
from tao_tui.progress import ProgressParser

RELEASE = cat.contract_release("7.1.0")
ENTRIES = [(row["network"], e) for row in RELEASE["skills"] for e in row["errors"]]
# (network, catalog headline) -> why no log line is matched for it
NOT_LOG_TEXT = {
    ("dino", "S3 inputs not downloaded inside container"):
        "NVIDIA's SDK orchestration (S3 uploads); tao-tui mounts local folders",
    ("dino", "Evaluate checkpoint not found at result root"):
        "tao-tui points evaluate at <results_dir>/train/*.pth, the newest checkpoint (network.yaml feeds)",
    ("dino", "Parent dino gen_trt_engine rejected by the PyT CLI"):
        "tao-tui runs gen_trt_engine in the deploy image (the deploy contract), never the PyT one",
    ("dino", "dino convert fails before reading the spec"):
        "the contract has no convert action for dino; DINODatasetConvertConfig in a log is explained (DINO6)",
}


def test_the_release_carries_nvidias_catalogs():
    assert ENTRIES, "no error catalog in the TAO 7 data"
    for _network, entry in ENTRIES:
        assert entry["pattern"] and entry["fix"] and entry["source"].endswith(".md")


@pytest.mark.parametrize("network,entry", ENTRIES, ids=[f"{n}:{e['pattern'][:40]}" for n, e in ENTRIES])
def test_each_catalog_error_is_explained(network, entry):
    key = (network, entry["pattern"])
    if key in NOT_LOG_TEXT:
        assert NOT_LOG_TEXT[key]
        return
    parser = ProgressParser()
    events = parser.feed_lines([f"[rank0]: RuntimeError: {entry['pattern']}"]) + parser.flush()
    errors = [e for e in events if e.kind == "error"]
    assert errors, f"{network}: NVIDIA's '{entry['pattern']}' is not explained"
    assert errors[0].message and errors[0].fix


def test_the_unmatched_list_has_no_stale_rows():
    known = {(n, e["pattern"]) for n, e in ENTRIES}
    assert set(NOT_LOG_TEXT) <= known
