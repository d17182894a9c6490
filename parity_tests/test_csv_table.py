"""The CSV exercise's datamodule: the course's kind of preprocessing, and one clear line for
every kind of bad file; the file as a participant brings it (issues 16-18): the per-column report,
missing values and fills, German Excel exports, encodings, list options, close matches, refused leaks."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from datamodules import CSVDataModule, DataError
from datamodules.auto_mpg import AutoMPGRegression, load_cars
from datamodules.csv_table import DEMO_SOURCE, MAX_ONE_HOT, column_list


def write_csv(tmp_path, text: str, name="table.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def sales_frame(rows=40):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=rows).strftime("%Y-%m-%d"),
            "weekday": np.arange(rows) % 7,
            "weekday_name": np.array(["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"])[np.arange(rows) % 7],
            "holiday": rng.random(rows) < 0.2,
            "school_holiday": np.where(rng.random(rows) < 0.5, "yes", "no"),
            "sales": rng.normal(3, 1, rows).round(3),
        }
    )


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
    "garbage_in_numbers": (
        "x,sales\n1,2\n2,3\nabc,4\n4,5\n5,6\n6,7\n",
        "column 'x' has a non-numeric value 'abc' on line 4",
    ),
    "empty": ("", "CSV file is empty"),
    "header_only": ("x,sales\n", "has a header but no data rows"),
    "missing_value": ("x,sales\n1,2\n,3\n3,4\n4,5\n5,6\n", "column 'x' has a missing value on line 3"),
    "infinite_value": ("x,sales\n1,2\ninf,3\n3,4\n4,5\n5,6\n", "column 'x' has an infinite value on line 3"),
    "text_target": (
        "x,sales\n1,2\n2,lots\n3,4\n4,5\n5,6\n",
        "column 'sales' has a non-numeric value 'lots' on line 3",
    ),
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


# --- the CSV as a participant brings it (issues 16, 17, 18) ---------------------------------------


@pytest.fixture(scope="module")
def mpg_csv(tmp_path_factory):
    """The course's mpg.csv: 398 cars, its columns and kinds, ``?`` for the 6 missing horsepowers."""
    path = tmp_path_factory.mktemp("course") / "mpg.csv"
    load_cars().to_csv(path, index=False, na_rep="?")
    return str(path)


def setup(path, **options) -> CSVDataModule:
    datamodule = CSVDataModule(path, **options)
    datamodule.setup()
    return datamodule


def columns_of(datamodule) -> dict:
    return {column["name"]: column for column in datamodule.report["columns"]}


def test_mpg_csv_names_its_missing_horsepower_and_the_fills_to_choose(mpg_csv):
    # before: "column 'horsepower' has a non-numeric value '?' on line 34"
    with pytest.raises(DataError) as error:
        setup(mpg_csv, target="mpg")
    assert str(error.value) == (
        "column 'horsepower' has 6 missing values, the first on line 34; "
        "choose a fill: --data.fill mean|median|drop|group_mean:COLUMN"
    )


def test_mpg_csv_group_mean_fill_is_the_courses_horsepower_per_origin(mpg_csv):
    """The filled, scaled numbers equal those of ``mpg_regression``'s own course preprocessing."""
    ours = setup(mpg_csv, target="mpg", fill="group_mean:origin", exclude="name")
    course = AutoMPGRegression()
    course.setup()
    # cylinders, displacement, horsepower, weight, acceleration: columns 0..4 of both; same split rows
    np.testing.assert_allclose(ours.splits.x_train[:, :5], course.splits.x_train[:, :5], atol=1e-6)
    np.testing.assert_allclose(ours.splits.x_test[:, :5], course.splits.x_test[:, :5], atol=1e-6)
    np.testing.assert_array_equal(ours.splits.y_test, course.splits.y_test)
    horsepower = columns_of(ours)["horsepower"]
    assert horsepower["missing"] == 6 and horsepower["fill"].startswith(
        "group_mean:origin (europe 80.5588, usa 119.049"
    )
    # with the mean over all cars instead, the filled horsepowers (and so the scaled column) differ
    plain = setup(mpg_csv, target="mpg", fill="mean", exclude="name")
    assert np.abs(plain.splits.x_train[:, 2] - course.splits.x_train[:, 2]).max() > 0.01


def test_mpg_csv_report_kinds_width_and_the_one_hot_explosion_warning(mpg_csv):
    datamodule = setup(mpg_csv, target="mpg", fill="group_mean:origin")
    report = datamodule.report
    assert json.loads(json.dumps(report)) == report  # plain JSON
    kinds = {name: column["kind"] for name, column in columns_of(datamodule).items()}
    assert kinds == {
        "cylinders": "numeric",
        "displacement": "numeric",
        "horsepower": "numeric",
        "weight": "numeric",
        "acceleration": "numeric",
        "model_year": "numeric",
        "origin": "categorical",
        "name": "categorical",
    }
    names = columns_of(datamodule)["name"]["width"]
    assert names > MAX_ONE_HOT and report["input_width"] == datamodule.input_dim == 6 + 3 + names
    warning = (
        f"column 'name' is text with {names} distinct values and becomes {names} of the "
        f"{6 + 3 + names} inputs; leave it out with --data.exclude name"
    )
    assert report["warnings"] == [warning]
    assert "warning: column 'name'" in datamodule.report_text()
    lean = setup(mpg_csv, target="mpg", fill="group_mean:origin", exclude="name")
    assert lean.input_dim == 9 and lean.report["warnings"] == []
    assert columns_of(lean)["name"]["dropped"] == "--data.exclude"


def test_no_warning_at_the_limit_of_one_hot_columns(tmp_path):
    rows = 2 * MAX_ONE_HOT
    frame = pd.DataFrame({"shop": [f"s{i % MAX_ONE_HOT}" for i in range(rows)], "sales": np.arange(rows) % 7})
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert setup(str(tmp_path / "t.csv")).report["warnings"] == []
    frame["shop"] = [f"s{i % (MAX_ONE_HOT + 1)}" for i in range(rows)]
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert len(setup(str(tmp_path / "t.csv")).report["warnings"]) == 1


def test_sales_table_report_names_every_column_kind_and_encoding(tmp_path):
    path = tmp_path / "sales.csv"
    sales_frame().to_csv(path, index=False)
    datamodule = setup(str(path), batch_size=8)
    columns = columns_of(datamodule)
    assert {name: (c["kind"], c["width"]) for name, c in columns.items()} == {
        "date": ("date", 0),
        "weekday": ("numeric", 1),
        "weekday_name": ("categorical", 7),
        "holiday": ("binary", 1),
        "school_holiday": ("binary", 1),
    }
    assert columns["date"]["dropped"].startswith("a date")
    assert columns["school_holiday"]["encoding"] == "label-encoded: no=0, yes=1"
    assert columns["weekday_name"]["encoding"] == "one-hot: Fr, Mo, Sa, Su, Th, Tu, We"
    report = datamodule.report
    assert (report["encoding"], report["delimiter"], report["decimal"]) == ("utf-8", ",", ".")
    assert report["input_width"] == 10 and (report["rows"], report["rows_used"]) == (40, 40)
    text = datamodule.report_text()
    assert (
        text.splitlines()[0]
        == "columns of sales.csv: utf-8, delimiter ',', decimal '.', missing: '?', blank cells"
    )
    assert "  input width 10" in text and all(name in text for name in columns)


def german_sales_export() -> str:
    """The course's sales table as German Excel saves it: ``;``, decimal commas, dd.mm.yyyy, CRLF."""
    frame = sales_frame(30)
    frame["date"] = pd.to_datetime(frame["date"]).dt.strftime("%d.%m.%Y")
    frame["store"] = np.array(["Köln", "München", "Düsseldorf"])[np.arange(30) % 3]
    frame["price"] = [f"{p:.2f} €".replace(".", ",") for p in np.linspace(1, 3, 30)]
    frame = frame.rename(columns={"sales": "Sales"})
    frame["Sales"] = frame["Sales"].map(lambda v: f"{v:.3f}".replace(".", ","))
    return frame.to_csv(sep=";", index=False, lineterminator="\r\n")


def test_german_excel_export_delimiter_decimal_comma_cp1252(tmp_path):
    path = tmp_path / "umsatz.csv"
    path.write_bytes(german_sales_export().encode("cp1252"))
    datamodule = setup(str(path), target="Sales")
    report = datamodule.report
    assert (report["encoding"], report["delimiter"], report["decimal"]) == (
        "cp1252 (not valid UTF-8)",
        ";",
        ",",
    )
    columns = columns_of(datamodule)
    assert (
        columns["date"]["kind"] == "date"
        and columns["store"]["encoding"] == "one-hot: Düsseldorf, Köln, München"
    )
    np.testing.assert_allclose(
        np.sort(datamodule.table["Sales"].to_numpy()), np.sort(sales_frame(30)["sales"])
    )
    assert datamodule.input_dim == 10 + 3 + columns["price"]["width"]  # "1,00 €" is text: one-hot
    assert "cp1252 (not valid UTF-8), delimiter ';', decimal ','" in datamodule.report_text()


def test_encoding_fallbacks_are_named(tmp_path):
    text = german_sales_export()
    (tmp_path / "bom.csv").write_bytes(text.encode("utf-8-sig"))
    with_bom = setup(str(tmp_path / "bom.csv"), target="Sales")
    assert with_bom.report["encoding"] == "utf-8 with BOM" and with_bom.frame.columns[0] == "date"
    (tmp_path / "latin.csv").write_bytes(
        text.replace("€", "EUR").encode("latin-1").replace(b"K\xf6ln", b"K\x81ln")
    )
    assert (
        setup(str(tmp_path / "latin.csv"), target="Sales").report["encoding"]
        == "latin-1 (neither UTF-8 nor cp1252)"
    )
    (tmp_path / "utf16.csv").write_bytes(text.encode("utf-16"))
    assert setup(str(tmp_path / "utf16.csv"), target="Sales").report["encoding"] == "utf-16"
    with pytest.raises(DataError, match=r"is not valid utf-8 .*leave out --data.encoding"):
        setup(str(tmp_path / "latin.csv"), target="Sales", encoding="utf-8")


def test_tab_and_pipe_delimiters_and_explicit_overrides(tmp_path):
    frame = sales_frame(30)
    for delimiter, name in (("\t", "tab"), ("|", "'|'")):
        frame.to_csv(tmp_path / "t.csv", sep=delimiter, index=False)
        datamodule = setup(str(tmp_path / "t.csv"))
        assert datamodule.report["delimiter"] == delimiter and datamodule.input_dim == 10
        assert f"delimiter {name}," in datamodule.report_text()
    # "1.5;2" read with a forced ',' is one column per row: the header names none of the target
    (tmp_path / "s.csv").write_text("x;sales\n1.5;2\n2.5;3\n3.5;4\n4.5;5\n5.5;6\n")
    assert setup(str(tmp_path / "s.csv")).input_dim == 1
    with pytest.raises(DataError, match="target column 'sales' is not in CSV"):
        setup(str(tmp_path / "s.csv"), delimiter=",")
    with pytest.raises(DataError, match=r"--data.delimiter must be one character"):
        CSVDataModule(str(tmp_path / "s.csv"), delimiter=";;")


def test_decimal_comma_is_not_guessed_in_a_comma_file_nor_against_dot_numbers(tmp_path):
    (tmp_path / "dots.csv").write_text("x;sales\n1.5;2\n2.5;3\n3;4\n4.5;5\n5.5;6\n")
    datamodule = setup(str(tmp_path / "dots.csv"))
    assert datamodule.report["decimal"] == "." and datamodule.table["x"].tolist() == [1.5, 2.5, 3, 4.5, 5.5]
    (tmp_path / "commas.csv").write_text("x;sales\n1,5;2\n2,5;3\n3;4\n4,5;5\n5,5;6\n")
    assert setup(str(tmp_path / "commas.csv")).table["x"].tolist() == [1.5, 2.5, 3, 4.5, 5.5]


MISSING = "x,group,sales\n1,a,1\n?,a,2\n3,b,3\n,b,4\n5,a,5\n  ?  ,b,6\n7,b,7\n"


@pytest.mark.parametrize(
    "fill, filled",
    [
        ("mean", [4.0, 4.0, 4.0]),
        ("median", [4.0, 4.0, 4.0]),
        ("group_mean:group", [3.0, 5.0, 5.0]),
    ],
)
def test_fills_replace_question_marks_and_blanks(tmp_path, fill, filled):
    datamodule = setup(write_csv(tmp_path, MISSING), fill=fill, preprocess_fit="all", test_size=0.3)
    raw = datamodule.table["x"].to_numpy().copy()
    raw[[1, 3, 5]] = filled
    x = np.concatenate([datamodule.splits.x_train, datamodule.splits.x_val, datamodule.splits.x_test])
    expected = (raw - raw.mean()) / raw.std()
    np.testing.assert_allclose(np.sort(x[:, 0]), np.sort(expected), atol=1e-6)
    column = columns_of(datamodule)["x"]
    assert column["missing"] == 3 and column["fill"].startswith(fill)


def test_fill_statistics_follow_preprocess_fit(tmp_path):
    """``preprocess_fit="train"`` fills with the mean of the training rows only (no test leak)."""
    text = "x,sales\n" + "".join(f"{v},{i}\n" for i, v in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, "?"]))
    fills = {
        fit: columns_of(setup(write_csv(tmp_path, text), fill="mean", preprocess_fit=fit))["x"]["fill"]
        for fit in ("all", "train")
    }
    assert fills["all"] == "mean 5" and fills["train"] != fills["all"]


def test_drop_fill_and_missing_targets_leave_rows_out_and_say_so(tmp_path):
    datamodule = setup(write_csv(tmp_path, MISSING + "8,a,\n9,b,?\n10,a,10\n11,b,11\n"), fill="drop")
    assert (datamodule.report["rows"], datamodule.report["rows_used"]) == (11, 6)
    assert datamodule.report["rows_dropped"] == {
        "missing target": 2,
        "missing feature value (--data.fill drop)": 3,
    }
    assert sorted(datamodule.table["x"]) == [1, 3, 5, 7, 10, 11]
    assert (
        "11 rows, 6 used (left out: 2 for missing target, 3 for missing feature value"
        in datamodule.report_text()
    )
    assert "3 missing: rows left out" in datamodule.report_text()


def test_missing_markers_are_configurable_and_a_marker_like_cell_names_the_option(tmp_path):
    path = write_csv(tmp_path, "x,sales\n1,2\nNA,3\n3,4\n4,5\n5,6\n")
    with pytest.raises(DataError) as error:
        setup(path)
    assert str(error.value) == (
        "column 'x' has a non-numeric value 'NA' on line 3; if it marks a missing value, "
        "add it to --data.missing (e.g. --data.missing '?,NA')"
    )
    assert columns_of(setup(path, missing="?,NA", fill="mean"))["x"]["missing"] == 1
    assert columns_of(setup(path, missing=["NA"], fill="mean"))["x"]["missing"] == 1


FILL_ERRORS = {
    "bad fill": ({"fill": "avg"}, "--data.fill must be mean, median, drop or group_mean:COLUMN"),
    "unknown group": (
        {"fill": "group_mean:Group"},
        r"group column 'Group' is not in CSV .*did you mean 'group' \(--data.fill group_mean:group\)",
    ),
    "text with missing": (
        {"fill": "mean", "features": "group"},
        "column 'group' is binary and has a missing value on line 4; --data.fill mean fills numbers only",
    ),
    "empty group": ({"fill": "group_mean:group"}, "the group 'c' has no known 'x' value"),
}


@pytest.mark.parametrize("case", FILL_ERRORS)
def test_fill_errors_are_one_line_naming_the_fix(tmp_path, case):
    options, message = FILL_ERRORS[case]
    text = MISSING.replace("3,b,3", "3,,3") if case == "text with missing" else MISSING
    text = text + "?,c,8\n" if case == "empty group" else text
    with pytest.raises(DataError, match=message) as error:
        setup(write_csv(tmp_path, text), **options)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "given, expected",
    [
        ("cylinders,weight", ["cylinders", "weight"]),
        ("[cylinders, weight]", ["cylinders", "weight"]),
        (["cylinders", "weight"], ["cylinders", "weight"]),
        ("weight", ["weight"]),
        ("[?, NA]", ["?", "NA"]),
        (" a , 'b' ,", ["a", "b"]),
        ("[1, 2]", ["1", "2"]),
        (None, None),
    ],
)
def test_list_options_accept_commas_and_brackets(given, expected):
    assert column_list(given) == expected


def test_misspelt_columns_get_the_close_match(tmp_path):
    path = write_csv(tmp_path, "Weekday,Sales\n1,2\n2,3\n3,4\n4,5\n5,6\n")
    with pytest.raises(
        DataError,
        match=r"target column 'sales' is not in CSV .*; did you mean 'Sales' "
        r"\(--data.target Sales\)\? \(columns: Weekday, Sales\)",
    ):
        setup(path)
    with pytest.raises(
        DataError, match=r"feature column 'weekdy' .*did you mean 'Weekday' \(--data.features Weekday\)"
    ):
        setup(path, target="Sales", features="weekdy")
    with pytest.raises(
        DataError, match=r"column 'profit' is not in CSV [^;]*\(columns"
    ):  # nothing close: no guess
        setup(path, target="Sales", exclude="profit")


DUPLICATES = {
    "target": ("weekday,temp,sales,sales\n", "duplicated column names: 'sales' (columns 3, 4)"),
    "feature": ("temp,weekday,temp,sales\n", "duplicated column names: 'temp' (columns 1, 3)"),
    "blank-padded": ("weekday,sales ,sales\n", "duplicated column names: 'sales' (columns 2, 3)"),
}


@pytest.mark.parametrize("case", DUPLICATES)
def test_duplicated_column_names_are_refused(tmp_path, case):
    """Issue 18.5: pandas reads a copied ``sales`` as ``sales.1``, a feature that leaks the target."""
    header, message = DUPLICATES[case]
    rows = "".join(
        f"{i % 7},{i},{i * 2},{i * 2}\n"[: None if header.count(",") == 3 else -3] + "\n" for i in range(8)
    )
    path = write_csv(tmp_path, header + rows.replace("\n\n", "\n"))
    with pytest.raises(DataError) as error:
        setup(path)
    assert message in str(error.value) and "rename them" in str(error.value) and "\n" not in str(error.value)


def test_a_copy_of_the_target_and_the_target_as_feature_are_refused(tmp_path):
    path = write_csv(
        tmp_path, "weekday,revenue,sales\n" + "".join(f"{i % 7},{i * 2.5},{i * 2.5}\n" for i in range(8))
    )
    with pytest.raises(
        DataError, match=r"column 'revenue' is a copy of the target 'sales' .*--data.exclude revenue$"
    ):
        setup(path)
    assert setup(path, exclude="revenue").input_dim == 1
    with pytest.raises(DataError, match=r"--data.features lists the target 'sales'"):
        setup(path, features="weekday,sales")


def test_constant_columns_are_left_out_and_all_constant_features_refused(tmp_path):
    rows = "".join(f"{i % 7},1,shop\n" for i in range(8))
    path = write_csv(tmp_path, "sales,one,name\n" + rows)
    with pytest.raises(DataError) as error:
        setup(path)
    assert str(error.value) == (
        f"every feature column of CSV {path} is constant ('one', 'name'): nothing to learn "
        "from; choose columns that vary with --data.features"
    )
    path = write_csv(tmp_path, "sales,one,x,empty\n" + "".join(f"{i % 7},1,{i},\n" for i in range(8)))
    datamodule = setup(path)
    assert datamodule.input_dim == 1
    assert [(c["name"], c["kind"], c["width"]) for c in datamodule.report["columns"]] == [
        ("one", "constant", 0),
        ("x", "numeric", 1),
        ("empty", "empty", 0),
    ]


def test_a_row_with_more_cells_than_the_header_is_refused(tmp_path):
    path = write_csv(tmp_path, "x,sales\n1,2\n2,3,4\n3,4\n4,5\n5,6\n")
    with pytest.raises(DataError, match=r"line 3 of CSV .* has 3 cells but the header has 2"):
        setup(path)
    trailing = write_csv(tmp_path, "x;sales;\n1;2;\n2;3;\n3;4;\n4;5;\n5;6;\n")  # Excel's trailing delimiter
    assert setup(trailing).input_dim == 1


# --- through the command line ---------------------------------------------------------------------


def test_cli_features_as_comma_list_report_printed_and_in_the_json(mpg_csv, tmp_path):
    out_json = tmp_path / "out.json"
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "twins.cli",
            "train",
            "csv_regression",
            "--framework",
            "lightning",
            "--epochs",
            "1",
            "--data.path",
            mpg_csv,
            "--data.target",
            "mpg",
            "--data.features",
            "cylinders,weight",
            "--trainer.enable_progress_bar",
            "false",
            "--json",
            str(out_json),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    report = json.loads(out_json.read_text())["data_report"]
    assert report["input_width"] == 2
    assert [c["name"] for c in report["columns"] if c["dropped"] is None] == ["cylinders", "weight"]
    assert "columns of mpg.csv: utf-8" in process.stdout and "  input width 2" in process.stdout


def test_cli_features_as_bracket_list_missing_markers_and_quiet_warnings(mpg_csv, tmp_path, capsys):
    from twins.cli import main

    out_json = tmp_path / "out.json"
    code = main(
        [
            "train",
            "csv_regression",
            "--framework",
            "lightning",
            "--epochs",
            "1",
            "--quiet",
            "--data.path",
            mpg_csv,
            "--data.target",
            "mpg",
            "--data.features",
            "[horsepower, weight, name]",
            "--data.missing",
            "?,NA",
            "--data.fill",
            "group_mean:origin",
            "--json",
            str(out_json),
        ]
    )
    assert code == 0
    report = json.loads(out_json.read_text())["data_report"]
    columns = {column["name"]: column for column in report["columns"]}
    assert report["input_width"] == 2 + columns["name"]["width"] and report["missing_values"] == [
        "?",
        "NA",
        "(blank)",
    ]
    assert columns["horsepower"]["fill"].startswith("group_mean:origin")
    captured = capsys.readouterr()
    assert "columns of" not in captured.out  # --quiet: no report, only the result ...
    assert "warning: column 'name' is text with" in captured.err  # ... but its warnings


def test_cli_duplicated_header_is_bad_input(tmp_path, capsys):
    from twins.cli import main

    path = write_csv(tmp_path, "weekday,temp,sales,sales\n" + "".join(f"{i},{i},{i},{i}\n" for i in range(8)))
    code = main(["train", "csv_regression", "--framework", "lightning", "--data.path", path])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("twins: error: CSV ") and "duplicated column names: 'sales' (columns 3, 4)" in err


def test_messages_name_the_file_line_past_blank_lines_and_multi_line_cells(tmp_path):
    path = write_csv(tmp_path, 'x,note,sales\n1,a,2\n\n2,"two\nlines",3\nabc,c,4\n4,d,5\n5,e,6\n6,f,7\n')
    with pytest.raises(DataError, match=r"column 'x' has a non-numeric value 'abc' on line 6$"):
        setup(path)
