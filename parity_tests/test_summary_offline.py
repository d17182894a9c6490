"""``twins summary MODEL`` needs no data: counts and shapes follow from the config.

Every registered model, as the course configures it (the default profile: the real datasets),
with an empty data cache, an empty Keras folder and the downloads pointed at a closed port on
127.0.0.1 (nothing can be fetched): ``summary --json`` exits 0, reports equal parameter counts for
both twins and names the input shape it assumed.
"""

import json
import socket

import pytest

from configs import PROFILE_ENV
from datamodules.download import DATA_DIR_ENV, MIRROR_ENV
from twins.cli import main
from twins.registry import model_ids


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """Empty caches, the course's configs, every download aimed at a port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "empty_cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras_home"))
    monkeypatch.setenv(MIRROR_ENV, f"http://127.0.0.1:{port}")
    monkeypatch.delenv(PROFILE_ENV, raising=False)  # the course's sizes and sources, not the test profile's
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")  # no data/ folder next to the command


@pytest.mark.parametrize("model_id", model_ids())
def test_summary_works_with_no_data_present(model_id, offline, capsys):
    code = main(["summary", model_id, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    record = json.loads(out.strip().splitlines()[-1])
    extra = (record["explained_difference"] or {}).get("count", 0)
    assert record["keras"]["trainable"] == record["lightning"]["trainable"] - extra > 0
    assert record["keras"]["output_shape"] == record["lightning"]["output_shape"]
    assert record["input_shape"] and record["input_shape_from"]
