"""The IMDB twins beyond the generic harness: one vocabulary, masking (Keras ``mask_zero`` ↔ the
padding never reaching an output) with mixed lengths and both directions, the course's padding
check, the loaders."""

import hashlib
import io
import tarfile

import torch

import numpy as np
import pytest

from datamodules import DataError, IMDBDataModule, imdb
from datamodules.download import FileSet, RemoteFile
from lit_models.keras_compat.recurrent import run_masked
from parity_tests.conftest import within_draw_bound
from twins.models import make_twins
from twins.parity.counts import extra_torch_parameters
from twins.training.fit_keras import seed_keras
from twins.transfer import keras_to_torch

MODELS = ["imdb_bilstm", "imdb_bilstm_stacked"]


def test_vocabulary_is_lower_case_without_punctuation_with_padding_and_unknown():
    vocabulary = imdb.build_vocabulary(["Great film!", "great, GREAT acting.", "Film? fine"], max_tokens=4)
    assert vocabulary == {"great": 2, "film": 3}  # 4 tokens: padding 0, unknown 1, two words
    ids = imdb.encode(["GREAT acting", "film"], vocabulary)
    np.testing.assert_array_equal(ids, [[2, 1], [3, 0]])


def test_the_datamodule_builds_one_vocabulary_of_max_tokens():
    datamodule = IMDBDataModule(source="synthetic", n_reviews=[300, 50], max_tokens=1000)
    datamodule.setup()
    assert len(datamodule.vocabulary) == 998 and min(datamodule.vocabulary.values()) == 2
    x = datamodule.splits.x_train
    assert x.dtype == np.int64 and x.max() < 1000 and (x == imdb.UNKNOWN).any()
    lengths = (x != 0).sum(1)
    after_the_end = np.arange(x.shape[1]) >= lengths[:, None]
    assert (x[np.arange(len(x)), lengths - 1] != 0).all() and not x[after_the_end].any()  # right-padded
    assert len(set(lengths)) > 5  # mixed lengths
    assert datamodule.model_inputs() == {"vocab_size": 1000} and "synthetic" in datamodule.source


def _transferred(model_id):
    seed_keras(0)
    datamodule, lightning_model, keras_model = make_twins(model_id)
    keras_to_torch(keras_model, lightning_model)
    return datamodule, lightning_model.eval(), keras_model


def _scores(lightning_model, keras_model, x):
    with torch.no_grad():
        torch_scores = lightning_model(torch.from_numpy(x)).numpy()
    return np.asarray(keras_model(x, training=False)), torch_scores


@pytest.mark.parametrize("model_id", MODELS)
def test_a_review_scores_the_same_alone_and_beside_a_much_longer_one(model_id):
    """The course's check, in both frameworks."""
    _, lightning_model, keras_model = _transferred(model_id)
    short = np.array([[5, 17, 42, 8]])
    long = np.random.default_rng(0).integers(2, 1000, size=(1, 60))
    batch = np.zeros((2, 60), dtype=np.int64)
    batch[0, :4], batch[1] = short[0], long[0]
    keras_alone, torch_alone = _scores(lightning_model, keras_model, short)
    keras_batch, torch_batch = _scores(lightning_model, keras_model, batch)
    np.testing.assert_allclose(keras_batch[0], keras_alone[0], atol=1e-6)
    np.testing.assert_allclose(torch_batch[0], torch_alone[0], atol=1e-6)
    np.testing.assert_allclose(torch_batch, keras_batch, atol=1e-5)


@pytest.mark.parametrize("model_id", MODELS)
def test_mixed_lengths_and_an_empty_review_match_keras(model_id):
    _, lightning_model, keras_model = _transferred(model_id)
    rng = np.random.default_rng(1)
    lengths = [1, 7, 30, 0, 12, 30]
    x = np.zeros((len(lengths), 30), dtype=np.int64)
    for row, length in zip(x, lengths):
        row[:length] = rng.integers(1, 1000, size=length)
    keras_scores, torch_scores = _scores(lightning_model, keras_model, x)
    np.testing.assert_allclose(torch_scores, keras_scores, atol=1e-5)


def test_both_directions_and_returned_sequences_match_keras_layer_by_layer():
    """The stacked model's first Bidirectional layer: forward and backward halves, at every
    valid step (return_sequences=True), and the second layer's final states."""
    import keras

    _, lightning_model, keras_model = _transferred("imdb_bilstm_stacked")
    x = np.zeros((3, 12), dtype=np.int64)
    x[0, :12], x[1, :5], x[2, :9] = np.arange(2, 14), [3, 1, 4, 1, 5], np.arange(20, 29)
    lengths = torch.from_numpy((x != 0).sum(1))
    embedded = keras_model.layers[0](x)
    mask = keras_model.layers[0].compute_mask(x)
    keras_first = np.asarray(keras_model.layers[1](embedded, mask=mask))
    keras_second = np.asarray(keras_model.layers[2](keras.ops.convert_to_tensor(keras_first), mask=mask))
    with torch.no_grad():
        torch_first = run_masked(
            lightning_model.recurrent[0], lightning_model.embedding(torch.from_numpy(x)), lengths, True
        )
        torch_second = run_masked(lightning_model.recurrent[1], torch_first, lengths, False)
    for row, length in enumerate(lengths.tolist()):
        np.testing.assert_allclose(torch_first[row, :length].numpy(), keras_first[row, :length], atol=1e-6)
    units = lightning_model.recurrent[0].hidden_size
    for half in (
        slice(0, units),
        slice(units, 2 * units),
    ):  # forward half, backward half, each at its last step
        np.testing.assert_allclose(torch_first[1, 4, half].numpy(), keras_first[1, 4, half], atol=1e-6)
    np.testing.assert_allclose(torch_second.numpy(), keras_second, atol=1e-6)


@pytest.mark.parametrize(
    "model_id, per_layer",
    [
        ("imdb_bilstm", {"recurrent.0": 2 * 4 * 64}),
        ("imdb_bilstm_stacked", {"recurrent.0": 2 * 4 * 64, "recurrent.1": 2 * 4 * 32}),
    ],
)
def test_bidirectional_extra_biases_are_counted_per_layer_and_direction(model_id, per_layer):
    _, lightning_model, keras_model = make_twins(model_id)
    assert {name: count for name, count, _ in extra_torch_parameters(lightning_model)} == per_layer
    extra = sum(p.numel() for p in lightning_model.parameters()) - keras_model.count_params()
    assert extra == sum(per_layer.values())
    embedding = lightning_model.embedding.weight
    assert within_draw_bound(embedding, 0.05) and embedding.std() > 0.02  # Keras' uniform(-0.05, 0.05)


# --- the real loader ------------------------------------------------------------------------------


def _acl_archive(path):
    reviews = {
        "train/pos/0_9.txt": "A <br />great film!",
        "train/neg/1_2.txt": "Awful.",
        "test/pos/2_8.txt": "Fine",
        "test/neg/3_1.txt": "Bad bad",
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, text in reviews.items():
            data = text.encode()
            info = tarfile.TarInfo(f"aclImdb/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


def test_real_loader_downloads_verifies_and_reads_aclimdb(tmp_path, monkeypatch):
    remote = tmp_path / "remote" / "aclImdb_v1.tar.gz"
    remote.parent.mkdir()
    checksum = _acl_archive(remote)
    monkeypatch.setattr(
        imdb,
        "IMDB_FILES",
        FileSet("IMDB", "imdb", (RemoteFile("aclImdb_v1.tar.gz", checksum, remote.as_uri()),)),
    )
    datamodule = IMDBDataModule(source="download", data_dir=str(tmp_path / "cache"), validation_split=0.5)
    datamodule.setup()
    assert (tmp_path / "cache" / "imdb" / "aclImdb_v1.tar.gz").is_file()
    assert sorted(datamodule.vocabulary) == ["a", "awful", "film", "great"]
    assert len(datamodule.splits.x_test) == 2 and sorted(datamodule.splits.y_test[:, 0].tolist()) == [
        0.0,
        1.0,
    ]
    assert "aclImdb" in datamodule.source


def test_real_loader_offline_is_one_clear_line(tmp_path, monkeypatch):
    missing = RemoteFile("aclImdb_v1.tar.gz", "md5:" + "0" * 32, (tmp_path / "absent.tar.gz").as_uri())
    monkeypatch.setattr(imdb, "IMDB_FILES", FileSet("IMDB", "imdb", (missing,), hint=imdb.IMDB_FILES.hint))
    with pytest.raises(DataError, match=r"not available offline.*--data.source synthetic") as error:
        IMDBDataModule(source="download", data_dir=str(tmp_path / "cache")).setup()
    assert "\n" not in str(error.value)
    with pytest.raises(DataError, match="unknown IMDB source"):
        IMDBDataModule(source="imdb")


@pytest.mark.parametrize("return_sequences", [True, False])
def test_run_masked_gives_what_a_packed_sequence_gives(return_sequences):
    """The fused-kernel path equals torch's textbook masking (``pack_padded_sequence``), values and
    gradients, for mixed lengths and an empty row."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    from lit_models.keras_compat.recurrent import keras_rnn

    torch.manual_seed(0)
    rnn = keras_rnn("lstm", 4, 3, bidirectional=True)
    lengths = torch.tensor([5, 1, 0, 3, 9])
    x = torch.randn(5, 11, 4) * (torch.arange(11) < lengths.unsqueeze(1)).unsqueeze(-1)
    fast_x, packed_x = x.clone().requires_grad_(), x.clone().requires_grad_()
    fast = run_masked(rnn, fast_x, lengths, return_sequences)
    packed = pack_padded_sequence(packed_x, lengths.clamp(min=1), batch_first=True, enforce_sorted=False)
    outputs, (hidden, _) = rnn(packed)
    present = (lengths > 0).float().unsqueeze(-1)
    if return_sequences:
        textbook = pad_packed_sequence(outputs, batch_first=True, total_length=11)[0] * present.unsqueeze(-1)
    else:
        textbook = torch.cat([hidden[-2], hidden[-1]], dim=-1) * present
    assert fast.shape == textbook.shape
    torch.testing.assert_close(fast, textbook, rtol=0, atol=1e-6)
    weights = torch.randn_like(fast)
    (fast * weights).sum().backward()
    (textbook * weights).sum().backward()
    torch.testing.assert_close(fast_x.grad, packed_x.grad, rtol=0, atol=1e-6)
