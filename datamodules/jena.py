"""Jena climate (Day 2 exercise): predict the temperature 12 hours ahead from 5 days of weather.

The course's recipe (the keras.io "timeseries weather forecasting" example):
- the −9999 wind-speed readings (``wv``, ``max. wv``) become 0;
- 7 features: pressure, temperature, saturation vapour pressure, vapour pressure deficit,
  specific humidity, air density, wind speed;
- normalised with the mean and (population) std of the first 71.5 % of the rows — the training part;
- inputs: the past 720 readings sampled every 6th (120 steps × 7); target: the normalised
  temperature 72 readings after those 720 (row i + 792 for the window starting at row i);
- windows cut exactly like ``keras.utils.timeseries_dataset_from_array`` (a test compares them);
  validation = the windows of the remaining 28.5 %. The course has no test part: test = validation.

Sources (``--data.source``):
- ``download`` (the default): the 13 MB zip of the Max Planck record (``jena_files``): found in the
  cache (``--data.data_dir``, ``$TWINS_DATA_DIR``), in Keras' folder (``get_file``'s zip, or the
  CSV that Keras 2 / Keras 3 extract) or the current folder (keras.io's ``extractall()``), else
  downloaded (``$TWINS_DATA_MIRROR`` names a mirror), written atomically. Nobody publishes its hash,
  so it is verified by content: zip CRCs, the CSV header and 420,551 rows; ``--data.checksum
  sha256:…`` pins a hash instead. The real windows take about 1.4 GB of memory.
- ``synthetic`` (offline, chosen explicitly): a generated weather-like table with the same 14
  columns, −9999 readings included; labelled "substitute" in every output.
Twins: ``jena_lstm``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from jsonargparse.typing import NonNegativeInt, OpenUnitInterval, PositiveInt

from .base import ArrayDataModule
from .core import ArraySplits, as_float32
from .download import ContentError, FileSet, Place, RemoteFile, fetch, keras_datasets_dir, zip_members
from .errors import DataError

JENA_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/jena_climate_2009_2016.csv.zip"
JENA_ZIP = "jena_climate_2009_2016.csv.zip"
JENA_CSV = "jena_climate_2009_2016.csv"
#: Data rows of the real record (content check; no hash of the zip is published).
JENA_ROWS = 420_551
SUBSTITUTE_HINT = "; or choose the offline substitute explicitly with --data.source synthetic"
COLUMNS = [
    "p (mbar)",
    "T (degC)",
    "Tpot (K)",
    "Tdew (degC)",
    "rh (%)",
    "VPmax (mbar)",
    "VPact (mbar)",
    "VPdef (mbar)",
    "sh (g/kg)",
    "H2OC (mmol/mol)",
    "rho (g/m**3)",
    "wv (m/s)",
    "max. wv (m/s)",
    "wd (deg)",
]
FEATURES = ["p (mbar)", "T (degC)", "VPmax (mbar)", "VPdef (mbar)", "sh (g/kg)", "rho (g/m**3)", "wv (m/s)"]
WIND = ["wv (m/s)", "max. wv (m/s)"]
TARGET = "T (degC)"
HEADER = ["Date Time", *COLUMNS]


def timeseries_windows(data: np.ndarray, targets: np.ndarray, sequence_length: int, sampling_rate: int):
    """``(x, y)``: x[i] = data[i : i + sequence_length·sampling_rate : sampling_rate], y[i] = targets[i],
    as many windows as both arrays allow — ``keras.utils.timeseries_dataset_from_array`` in numpy."""
    count = min(len(data) - (sequence_length - 1) * sampling_rate, len(targets))
    if count < 1:
        raise DataError(
            f"{len(data)} rows are too few for one window of {sequence_length} steps every {sampling_rate}"
        )
    rows = np.arange(count)[:, None] + sampling_rate * np.arange(sequence_length)[None, :]
    return as_float32(data[rows]), as_float32(targets[:count])


def prepare(frame: pd.DataFrame, train_fraction: float) -> tuple[np.ndarray, int]:
    """The 7 features after the wind fix, normalised on the first ``train_fraction`` of the rows."""
    missing = [column for column in FEATURES if column not in frame.columns]
    if missing:
        raise DataError(f"Jena table lacks the columns {missing}")
    frame = frame.copy()
    for column in WIND:
        if column in frame:
            frame.loc[frame[column] == -9999.0, column] = 0.0
    values = frame[FEATURES].to_numpy(dtype=np.float64)
    train_rows = int(train_fraction * len(values))
    mean, std = values[:train_rows].mean(axis=0), values[:train_rows].std(axis=0)
    return (values - mean) / np.where(std == 0, 1.0, std), train_rows


def synthetic_jena(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """A weather-like table with Jena's 14 columns, every 10 minutes: yearly and daily cycles,
    slow weather drift, physically linked humidity columns, and some −9999 wind readings."""
    t = np.arange(rows)
    drift = np.cumsum(rng.normal(0, 0.05, rows))
    temperature = (
        9 + 9 * np.sin(2 * np.pi * (t / 52_560 - 0.3)) + 4 * np.sin(2 * np.pi * (t / 144 - 0.35)) + drift
    )
    pressure = 989 + 6 * np.sin(2 * np.pi * t / 4_000) + np.cumsum(rng.normal(0, 0.03, rows))
    humidity = np.clip(75 - 2.0 * (temperature - temperature.mean()) + rng.normal(0, 4, rows), 10, 100)
    vp_max = 6.112 * np.exp(17.62 * temperature / (243.12 + temperature))
    vp_act = vp_max * humidity / 100
    wind = np.abs(rng.normal(2, 1.2, rows))
    wind[rng.random(rows) < 0.002] = -9999.0
    frame = pd.DataFrame(
        {
            "p (mbar)": pressure,
            "T (degC)": temperature,
            "Tpot (K)": temperature + 273.15 + (1000 - pressure) * 0.08,
            "Tdew (degC)": temperature - (100 - humidity) / 5,
            "rh (%)": humidity,
            "VPmax (mbar)": vp_max,
            "VPact (mbar)": vp_act,
            "VPdef (mbar)": vp_max - vp_act,
            "sh (g/kg)": 622 * vp_act / pressure,
            "H2OC (mmol/mol)": 1000 * vp_act / pressure,
            "rho (g/m**3)": 100_000 * pressure / (287 * (temperature + 273.15)),
            "wv (m/s)": wind,
            "max. wv (m/s)": np.where(wind < 0, wind, wind * 1.6),
            "wd (deg)": rng.uniform(0, 360, rows),
        }
    )
    return frame[COLUMNS]


def _csv_member(archive: zipfile.ZipFile) -> str | None:
    """The CSV inside the zip, skipping macOS' ``__MACOSX/._…`` resource-fork entries (also ``.csv``)."""
    names = [
        n
        for n in archive.namelist()
        if n.endswith(".csv") and not n.startswith("__MACOSX/") and not Path(n).name.startswith("._")
    ]
    return next((n for n in names if Path(n).name == JENA_CSV), names[0] if names else None)


def _check_table(stream, where: str) -> None:
    """The real record's header (``HEADER``) and ``JENA_ROWS`` data rows, read from a byte stream."""
    header = next(csv.reader([stream.readline().decode("utf-8", "replace")]), [])
    if header != HEADER:
        raise ContentError(f"{where} does not start with the Jena header {HEADER[:3]}...")
    rows, last = 0, b"\n"
    for block in iter(lambda: stream.read(1 << 20), b""):
        rows, last = rows + block.count(b"\n"), block[-1:]
    rows += last != b"\n"  # a last row without a line break
    if rows != JENA_ROWS:
        raise ContentError(f"{where} holds {rows:,} rows, the real record {JENA_ROWS:,}")


def csv_content(path: Path) -> None:
    """Content check of the extracted CSV: its header and its row count."""
    with open(path, "rb") as stream:
        _check_table(stream, JENA_CSV)


def zip_integrity(path: Path) -> None:
    """The check that stays under a user's pin: a readable zip whose members pass their CRCs."""
    _check_zip(path, table=False)


def zip_content(path: Path) -> None:
    """Content check of the zip (nobody publishes its hash): every member's CRC, then the CSV's
    header and row count. Independent of the file's name (a download is checked as ``*.part``)."""
    _check_zip(path, table=True)


def _check_zip(path: Path, table: bool) -> None:
    zip_members(path)
    with zipfile.ZipFile(path) as archive:
        member = _csv_member(archive)
        if member is None:
            raise ContentError("the zip holds no CSV file")
        if table:
            with archive.open(member) as stream:
                _check_table(stream, member)


def jena_files(checksum: str | None = None) -> FileSet:
    """The zip (or its extracted CSV) in the cache, Keras' folder or the current folder.

    ``checksum`` (``"sha256:…"``) pins the zip instead of the content check."""
    datasets = keras_datasets_dir()
    folders = (
        Place(datasets, "Keras"),
        Place(datasets / "jena_climate_2009_2016_extracted", "Keras"),
        Place(Path.cwd(), "the current folder"),
    )
    extracted = RemoteFile(JENA_CSV, content=csv_content)
    zipped = RemoteFile(
        JENA_ZIP,
        checksum,
        JENA_URL,
        content=zip_integrity if checksum else zip_content,
        alternatives=(extracted,),
    )
    return FileSet("Jena climate", "jena", (zipped,), folders, SUBSTITUTE_HINT, pin_option="--data.checksum")


def fetch_jena(cache_dir=None, checksum: str | None = None) -> Path:
    """The verified zip or CSV: cached, Keras', in the current folder, or downloaded now."""
    return fetch(jena_files(checksum), cache_dir)[0]


def read_jena(path: Path) -> pd.DataFrame:
    """The table from the zip (its one CSV, ``__MACOSX`` entries skipped) or from the CSV itself."""
    if path.suffix != ".zip":
        return pd.read_csv(path)
    with zipfile.ZipFile(path) as archive:
        name = _csv_member(archive)
        if name is None:
            raise DataError(f"{path} holds no CSV file")
        return pd.read_csv(io.BytesIO(archive.read(name)))


class JenaDataModule(ArrayDataModule):
    """Windows (n, past/step, 7) float32 and the temperature ``future`` readings later (n, 1).

    Args:
        source: ``"synthetic"`` (offline substitute) or ``"download"`` (download/cache).
        rows: synthetic only — number of 10-minute readings generated.
        past / step / future: window length in readings, sampling step, readings ahead (720, 6, 72).
        train_fraction: the training part, also the normalisation's (0.715).
        data_dir / checksum: cache folder and SHA-256 pin of the real zip.
    """

    #: The labelled offline substitute, chosen by name (``--data.source synthetic``).
    OFFLINE_SUBSTITUTE = "synthetic"
    COURSE_STEPS = (1172, "the Jena record")  # 299,979 training windows (Keras' example) / batch 256

    def __init__(
        self,
        source: str = "download",
        rows: PositiveInt = 20_000,
        past: PositiveInt = 720,
        step: PositiveInt = 6,
        future: PositiveInt = 72,
        train_fraction: OpenUnitInterval = 0.715,
        data_seed: NonNegativeInt = 11,
        data_dir: str | None = None,
        checksum: str | None = None,
        batch_size: PositiveInt = 256,
        seed: NonNegativeInt = 0,
    ):
        super().__init__(batch_size=batch_size, validation_split=0.0, seed=seed)
        if source not in ("synthetic", "download"):
            raise DataError(f"unknown Jena source {source!r}: use 'synthetic' (offline) or 'download'")
        self.source_name, self.rows, self.data_seed = source, rows, data_seed
        self.past, self.step, self.future, self.train_fraction = past, step, future, train_fraction
        self.data_dir, self.checksum = data_dir, checksum

    @property
    def source(self) -> str:
        if self.source_name == "download":
            return "Jena climate 2009–2016 (Max Planck Institute for Biogeochemistry)"
        return f"synthetic Jena-like weather ({self.rows} readings; substitute for the Jena record)"

    def table(self) -> pd.DataFrame:
        if self.source_name == "download":
            return read_jena(fetch_jena(self.data_dir, self.checksum))
        return synthetic_jena(self.rows, np.random.default_rng(self.data_seed))

    def load_splits(self) -> ArraySplits:
        features, train_rows = prepare(self.table(), self.train_fraction)
        temperature = features[:, FEATURES.index(TARGET)][:, None]
        ahead, length = self.past + self.future, self.past // self.step
        x_train, y_train = timeseries_windows(
            features[:train_rows], temperature[ahead : ahead + train_rows], length, self.step
        )
        x_val, y_val = timeseries_windows(
            features[train_rows : len(features) - ahead], temperature[train_rows + ahead :], length, self.step
        )
        return ArraySplits(x_train, y_train, x_val, y_val, x_val, y_val)

    def model_inputs(self) -> dict:
        return {"input_shape": list(self.input_shape)}
