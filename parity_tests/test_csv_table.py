"""The CSV exercise's datamodule: the course's kind of preprocessing, and one clear line for
every kind of bad file."""
import numpy as np
import pandas as pd
import pytest

from datamodules import CSVDataModule, DataError
from datamodules.csv_table import DEMO_SOURCE


def write_csv(tmp_path, text: str, name="table.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def sales_frame(rows=40):
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "date": pd.date_range("2024-01-01", periods=rows).strftime("%Y-%m-%d"),
        "weekday": np.arange(rows) % 7,
        "weekday_name": np.array(["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"])[np.arange(rows) % 7],
        "holiday": rng.random(rows) < 0.2,
        "school_holiday": np.where(rng.random(rows) < 0.5, "yes", "no"),
        "sales": rng.normal(3, 1, rows).round(3),
    })


def test_preprocessing_encodes_each_kind_of_column(tmp_path):
    path = tmp_path / "sales.csv"
    sales_frame().to_csv(path, index=False)
    datamodule = CSVDataModule(str(path), target="sales", batch_size=8)
    datamodule.setup()
    # weekday (scaled) + 7 one-hot weekday names + 2 label-encoded flags; the date is dropped
    assert datamodule.input_dim == 10
    assert datamodule.notes == ["dropped date column 'date'"]
    x = np.concatenate([datamodule.splits.x_train, datamodule.splits.x_val, datamodule.splits.x_test])
    assert set(np.unique(x[:, 1:])) <= {0.0, 1.0}
    assert abs(x[:, 0].mean()) < 1e-6
    assert datamodule.source.startswith("CSV ")


def test_the_default_is_the_bundled_demo_and_says_so():
    datamodule = CSVDataModule()
    datamodule.setup()
    assert datamodule.source == DEMO_SOURCE and "synthetic" in datamodule.source
    assert datamodule.input_dim == 10


BAD_FILES = {
    "missing_target": ("a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n", "target column 'sales' is not in CSV"),
    "garbage_in_numbers": ("x,sales\n1,2\n2,3\nabc,4\n4,5\n5,6\n6,7\n", "column 'x' has a non-numeric value 'abc' on line 4"),
    "empty": ("", "CSV file is empty"),
    "header_only": ("x,sales\n", "has a header but no data rows"),
    "missing_value": ("x,sales\n1,2\n,3\n3,4\n4,5\n5,6\n", "column 'x' has a missing value on line 3"),
    "infinite_value": ("x,sales\n1,2\ninf,3\n3,4\n4,5\n5,6\n", "column 'x' has an infinite value on line 3"),
    "text_target": ("x,sales\n1,2\n2,lots\n3,4\n4,5\n5,6\n", "column 'sales' has a non-numeric value 'lots' on line 3"),
    "too_few_rows": ("x,sales\n1,2\n2,3\n", "at least 5 are needed"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_raise_one_line_naming_the_problem(tmp_path, case):
    text, message = BAD_FILES[case]
    datamodule = CSVDataModule(write_csv(tmp_path, text), target="sales")
    with pytest.raises(DataError, match=message.replace("(", r"\(")) as error:
        datamodule.setup()
    assert "\n" not in str(error.value)


def test_missing_file_and_missing_feature_column(tmp_path):
    with pytest.raises(DataError, match="CSV file not found"):
        CSVDataModule(str(tmp_path / "nope.csv")).setup()
    path = write_csv(tmp_path, "x,sales\n1,2\n2,3\n3,4\n4,5\n5,6\n")
    with pytest.raises(DataError, match="feature column 'y' is not in CSV"):
        CSVDataModule(path, features=["x", "y"]).setup()
