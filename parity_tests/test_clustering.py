"""``twins cluster``: the course's clustering workflow (K-Means twins, DBSCAN, PCA) as a command.

The course clusters the **raw** Iris measurements (cm) with scikit-learn; that is the default here,
and ``--scale standard`` is the named alternative. The course's own calls are written out below as
its notebook writes them (``COURSE_*``), and the numbers the README states beside ours are pinned.
"""

import json

import numpy as np
import pytest
from sklearn.cluster import DBSCAN, KMeans
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.metrics import davies_bouldin_score

from datamodules import DataError
from datamodules.iris_clusters import IrisClusters
from twins.cli import cluster as clustering
from twins.cli import main
from twins.models import make_datamodule

#: What the course's notebook prints on the raw measurements (scikit-learn 1.9, float64), as the
#: README states it. K-Means: the course's KMeans(n_clusters=k) for k = 2, 3, the same for any seed.
COURSE_KMEANS_DB = {2: 0.4043, 3: 0.6620}
COURSE_DBSCAN_DB = {
    2: 5.8546,
    3: 2.9507,
    4: 1.7347,
    5: 7.2224,
    6: 3.1611,
    7: 4.5583,
    8: 4.0572,
    9: 4.2026,
    10: 3.7538,
    11: 2.5495,
}
COURSE_BEST = {"min_samples": 4, "clusters": 3, "noise": 13}
COURSE_EPS1 = {"davies_bouldin": 0.3828, "clusters": 2, "noise": 0}
COURSE_PCA = {"davies_bouldin": 8.3114, "clusters": 2, "noise": 7}


def course_notebook(x: np.ndarray, seed: int = 0) -> dict:
    """The course's cells, written independently of ``twins/cli/cluster.py``: the same numbers the
    notebook prints (Davies-Bouldin rounded to 4 places, clusters and noise per DBSCAN run)."""

    def dbscan(labels, points):
        return {
            "davies_bouldin": round(davies_bouldin_score(points, labels), 4),
            "clusters": len(set(labels) - {-1}),
            "noise": int((labels == -1).sum()),
        }

    kmeans = {
        k: round(
            davies_bouldin_score(x, KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x).labels_), 4
        )
        for k in (2, 3)
    }
    sweep = {m: dbscan(DBSCAN(min_samples=m).fit(x).labels_, x) for m in range(2, 12)}
    best = min(sweep, key=lambda m: sweep[m]["davies_bouldin"])
    x_pca = PCA(n_components=2).fit_transform(x)
    return {
        "kmeans": kmeans,
        "sweep": sweep,
        "best": {"min_samples": best, **{k: sweep[best][k] for k in ("clusters", "noise")}},
        "eps1": dbscan(DBSCAN(eps=1, min_samples=3).fit(x).labels_, x),
        "pca": dbscan(DBSCAN().fit(x_pca).labels_, x_pca),
    }


def run_cluster(capsys, tmp_path, *options):
    code = main(["cluster", "--json", str(tmp_path / "scores.json"), *options])
    captured = capsys.readouterr()
    return code, captured.out, captured.err, json.loads((tmp_path / "scores.json").read_text())


def test_cluster_command_scores_both_twins_like_scikit_learn_and_writes_pictures(
    capsys, tmp_path, monkeypatch
):
    # the command sweeps 2..11; three k keep the test short
    monkeypatch.setattr(clustering, "KS", range(2, 5))
    code, out, err, record = run_cluster(capsys, tmp_path, "--out", str(tmp_path))
    assert code == 0 and "Davies-Bouldin" in out
    assert record["scale"] == "none" and "raw measurements" in record["data"] and "raw measurements" in out
    assert record["kmeans_twins_agree"] is True
    for by in record["kmeans"].values():
        assert (
            by["keras"]["davies_bouldin"]
            == by["lightning"]["davies_bouldin"]
            == by["scikit-learn"]["davies_bouldin"]
        )
        assert np.isclose(by["keras"]["inertia"], by["scikit-learn"]["inertia"], rtol=1e-6)
        assert by["course"]["inertia"] <= by["scikit-learn"]["inertia"] * (
            1 + 1e-9
        )  # 10 k-means++ starts vs one
    assert set(record["dbscan_min_samples"]) == {str(m) for m in range(2, 12)}
    best = record["dbscan_best_min_samples"]
    scored = [
        r["davies_bouldin"] for r in record["dbscan_min_samples"].values() if r["davies_bouldin"] is not None
    ]
    assert record["dbscan_min_samples"][str(best)]["davies_bouldin"] == min(scored)
    assert [line for line in err.splitlines() if line.startswith("K-Means k=")] == [
        f"K-Means k={k}: Lightning twin, Keras twin, scikit-learn" for k in range(2, 5)
    ], "progress, one line per k"
    for name in (
        "kmeans_davies_bouldin",
        "kmeans_k2_keras",
        "kmeans_k3_lightning",
        "dbscan_best",
        "dbscan_eps1_min_samples3",
        "pca_dbscan",
    ):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_quiet_drops_the_progress_and_keeps_the_result(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(clustering, "KS", range(2, 4))
    code, out, err, record = run_cluster(capsys, tmp_path, "--quiet")
    assert code == 0 and err == "", "no progress under --quiet"
    assert "best min_samples = 4" in out and record["dbscan_best_min_samples"] == 4, (
        "the result is still printed"
    )


def test_the_raw_measurements_are_the_default_of_the_workflow_and_of_iris_kmeans():
    raw = load_iris().data
    points = IrisClusters().all_points()
    assert points.dtype == np.float64 and np.array_equal(points, raw), (
        "the course's values, unscaled, in float64"
    )
    datamodule = make_datamodule("iris_kmeans", 0)  # configs/iris_kmeans.yaml
    assert datamodule.scale == "none" and "raw measurements" in datamodule.source
    x_train = datamodule.splits.x_train
    assert x_train.dtype == np.float32 and x_train.shape[1] == 4
    assert np.isin(x_train.astype(np.float64).round(1), raw.round(1)).all() and x_train.min() > 0.0, (
        "cm, not scaled"
    )
    assert abs(x_train[:, 2].mean() - raw[:, 2].mean()) < 0.5, "petal length around its mean in cm (3.76)"


def test_standard_scaling_is_a_named_option(capsys, tmp_path, monkeypatch):
    scaled = IrisClusters(scale="standard").all_points()
    np.testing.assert_allclose(scaled.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(scaled.std(0), 1, atol=1e-12)
    x_train = make_datamodule("iris_kmeans", 0, scale="standard").splits.x_train
    assert (
        x_train.min() < 0.0
        and "standard-scaled" in make_datamodule("iris_kmeans", 0, scale="standard").source
    )
    monkeypatch.setattr(clustering, "KS", range(2, 3))
    code, out, _, record = run_cluster(capsys, tmp_path, "--scale", "standard", "--quiet")
    assert code == 0 and record["scale"] == "standard" and "standard-scaled" in out
    # scaling changes what the course sees: DBSCAN's best min_samples moves from 4 to 11
    assert record["dbscan_best_min_samples"] == 11 != COURSE_BEST["min_samples"]
    with pytest.raises(DataError, match="unknown scale 'minmax': use one of none, standard"):
        IrisClusters(scale="minmax")


def test_a_bad_scale_is_refused_in_one_line(capsys):
    assert main(["cluster", "--scale", "minmax"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--scale" in err and "'none', 'standard'" in err


def test_the_course_numbers_are_reproduced_on_the_raw_measurements():
    """The README's course column: the course's cells on load_iris().data, and the workflow's DBSCAN/PCA
    (the same calls on ``IrisClusters().all_points()``) give exactly those numbers."""
    course = course_notebook(load_iris().data)
    assert course["kmeans"] == COURSE_KMEANS_DB
    assert {m: r["davies_bouldin"] for m, r in course["sweep"].items()} == COURSE_DBSCAN_DB
    assert course["best"] == COURSE_BEST and course["eps1"] == COURSE_EPS1 and course["pca"] == COURSE_PCA
    record = clustering.summary_record({}, clustering.dbscan_scores(IrisClusters().all_points()), "Iris")
    assert {
        int(m): round(r["davies_bouldin"], 4) for m, r in record["dbscan_min_samples"].items()
    } == COURSE_DBSCAN_DB
    best = record["dbscan_best_min_samples"]
    assert {
        "min_samples": best,
        **{k: record["dbscan_min_samples"][str(best)][k] for k in ("clusters", "noise")},
    } == COURSE_BEST
    for name, expected in (("dbscan_eps1_min_samples3", COURSE_EPS1), ("pca_dbscan", COURSE_PCA)):
        assert {**record[name], "davies_bouldin": round(record[name]["davies_bouldin"], 4)} == expected


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_the_courses_kmeans_for_k_2_and_3_does_not_depend_on_the_seed(seed):
    points = IrisClusters().all_points()
    for k, expected in COURSE_KMEANS_DB.items():
        labels = clustering.course_kmeans(points, k, seed)
        assert round(clustering.davies_bouldin(points, labels), 4) == expected


def test_float32_points_would_move_dbscan_off_the_courses_numbers():
    """Why the workflow keeps the course's float64 values: many raw flowers lie exactly eps = 0.5
    apart, and float32 rounding moves some across it (min_samples 6: 4.6498 instead of 3.1611)."""
    points = IrisClusters().all_points()
    sweep32 = clustering.dbscan_scores(points.astype(np.float32))["sweep"]
    assert round(sweep32[6]["davies_bouldin"], 4) != COURSE_DBSCAN_DB[6]
    distances = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1))
    on_the_boundary = np.triu(np.isclose(distances, 0.5, rtol=0, atol=1e-9), 1).sum()
    assert on_the_boundary == 38, "pairs of flowers exactly eps apart (in decimal)"


def test_dbscan_eps1_matches_scikit_learn_on_the_shared_points():
    points = IrisClusters().all_points()
    scores = clustering.dbscan_scores(points)
    np.testing.assert_array_equal(
        scores["eps1_min_samples3"]["labels"], DBSCAN(eps=1, min_samples=3).fit_predict(points)
    )
    assert points.shape == (150, 4)
