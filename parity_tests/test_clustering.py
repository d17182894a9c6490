"""``twins cluster``: the course's clustering workflow (K-Means twins, DBSCAN, PCA) as a command."""
import json

import numpy as np

from twins.cli import cluster as clustering
from twins.cli import main


def test_cluster_command_scores_both_twins_like_scikit_learn_and_writes_pictures(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(clustering, "KS", range(2, 5))  # the command sweeps 2..11; three k keep the test short
    code = main(["cluster", "--out", str(tmp_path), "--json", str(tmp_path / "scores.json")])
    out = capsys.readouterr().out
    record = json.loads((tmp_path / "scores.json").read_text())
    assert code == 0 and "Davies-Bouldin" in out
    assert record["kmeans_twins_agree"] is True
    for by in record["kmeans"].values():
        assert by["keras"]["davies_bouldin"] == by["lightning"]["davies_bouldin"] == by["scikit-learn"]["davies_bouldin"]
        assert np.isclose(by["keras"]["inertia"], by["scikit-learn"]["inertia"], rtol=1e-6)
    assert set(record["dbscan_min_samples"]) == {str(m) for m in range(2, 12)}
    best = record["dbscan_best_min_samples"]
    scored = [r["davies_bouldin"] for r in record["dbscan_min_samples"].values() if r["davies_bouldin"] is not None]
    assert record["dbscan_min_samples"][str(best)]["davies_bouldin"] == min(scored)
    for name in ("kmeans_davies_bouldin", "kmeans_k2_keras", "kmeans_k3_lightning", "dbscan_best",
                 "dbscan_eps1_min_samples3", "pca_dbscan"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_dbscan_eps1_matches_scikit_learn_on_the_shared_points():
    from sklearn.cluster import DBSCAN

    from datamodules.iris_clusters import IrisClusters

    points = IrisClusters().all_points()
    scores = clustering.dbscan_scores(points)
    np.testing.assert_array_equal(scores["eps1_min_samples3"]["labels"], DBSCAN(eps=1, min_samples=3).fit_predict(points))
    assert points.shape == (150, 4) and abs(points.mean()) < 1e-6
