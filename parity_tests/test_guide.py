"""``docs/GUIDE.md``, the Keras ↔ PyTorch/Lightning translation guide, checked row by row.

Each local check id of the guide has one function here (``@check("id")``). It receives the row read
from the markdown (``guide_table.Row``) and compares every number the row states with what Keras 3,
TensorFlow, torch and Lightning do — by evaluating layers, stepping optimizers, driving callbacks and
running tiny ``fit``/``Trainer`` loops. ``test_guide_row`` then requires that the check read every
number of its row, and changes each stated number in turn: the check must fail every time.
The meta-tests tie the guide's ids, these functions and the referenced tests together.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import io
import json
import logging
import math
import random
import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import torch  # before TensorFlow, always
import torch.nn.functional as F
import torchvision
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils.data import DataLoader, Dataset, DistributedSampler, TensorDataset

import keras
import lightning as L
import numpy as np
import pytest
import tensorflow as tf
import torchmetrics
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.callbacks import ModelSummary as ModelSummaryCallback
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.utilities.model_summary import ModelSummary
from torchmetrics.classification import MulticlassAccuracy

from datamodules.core import BatchOrder, keras_validation_split
from datamodules.torch_adapter import EpochBatchSampler, to_keras_layout, to_torch_layout
from lit_models.keras_compat.init import keras_recurrent_init_
from lit_models.keras_compat.recurrent import keras_rnn
from parity_tests.guide_table import COLUMNS, GuideError, Row, Stated, agrees, mutate, read_guide, split_cells

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "GUIDE.md"
TESTS = Path(__file__).resolve().parent

CHECKS = {}


def check(check_id: str):
    """Registers the function that checks the guide's row ``check_id``."""

    def register(function):
        if check_id in CHECKS:
            raise ValueError(f"two checks for {check_id!r}")
        CHECKS[check_id] = function
        return function

    return register


def expect(stated: Stated, actual, what: str):
    assert agrees(stated, float(actual)), f"the guide states {stated.token}, but {what} is {actual}"


def close(a, b, atol=1e-5):
    return np.allclose(np.asarray(a), np.asarray(b), rtol=0, atol=atol)


def rng(seed=0):
    return np.random.default_rng(seed)


def randomize(layer, generator):
    """Random weights (biases too) for a built Keras layer; returns them."""
    weights = [generator.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def as_tensor(array):
    return torch.from_numpy(np.ascontiguousarray(array))


def nchw(x):
    return as_tensor(x).permute(0, 3, 1, 2)


def nhwc(t):
    return t.detach().permute(0, 2, 3, 1).numpy()


def set_parameter(parameter, array):
    with torch.no_grad():
        parameter.copy_(as_tensor(array))


def copy_recurrent(kernel, recurrent, bias, rnn, suffix="", bias_hh=0.0):
    """Keras recurrent weights into a torch RNN/LSTM: transposes, ``bias_hh`` filled with ``bias_hh``."""
    set_parameter(getattr(rnn, f"weight_ih_l0{suffix}"), kernel.T)
    set_parameter(getattr(rnn, f"weight_hh_l0{suffix}"), recurrent.T)
    set_parameter(getattr(rnn, f"bias_ih_l0{suffix}"), bias)
    with torch.no_grad():
        getattr(rnn, f"bias_hh_l0{suffix}").fill_(float(bias_hh))


def dtype_name(tensor) -> str:
    return keras.backend.standardize_dtype(tensor.dtype)


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------------------------------------
# Day 1: Sequential, compile, metrics, summary, fit, history, evaluate, predict, training=False
# ---------------------------------------------------------------------------------------------
def quiet_trainer(**options) -> L.Trainer:
    """A ``Trainer`` that prints, logs and saves nothing (``options`` win)."""
    defaults = {
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
    }
    return L.Trainer(**{**defaults, **options})


def quietly(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's hints (few workers, small logging interval)
        return call(*args, **kwargs)


def day_one_keras(features=4, hidden=(4, 4), classes=3):
    """The course's Iris model of the slides:
    Input(4) → Dense(4, relu) → Dense(4, relu) → Dense(3, softmax)."""
    dense = [keras.layers.Dense(units, activation="relu") for units in hidden]
    return keras.Sequential(
        [keras.Input((features,)), *dense, keras.layers.Dense(classes, activation="softmax")]
    )


def day_one_net(sizes) -> nn.Sequential:
    """``nn.Sequential`` of ``nn.Linear(sizes[0], sizes[1])``, ReLU, ``nn.Linear(sizes[2], sizes[3])``, ...:
    a ReLU between the linear layers, none after the last (logits)."""
    linears = [nn.Linear(a, b) for a, b in zip(sizes[::2], sizes[1::2])]
    layers = [module for linear in linears[:-1] for module in (linear, nn.ReLU())]
    return nn.Sequential(*layers, linears[-1])


class NetModule(L.LightningModule):
    """A LightningModule that only wraps an ``nn.Sequential``: ``forward(x)`` returns ``self.net(x)``."""

    def __init__(self, net: nn.Sequential):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)


class SequentialModule(L.LightningModule):
    """The day-1 LightningModule: an ``nn.Sequential`` of logits, cross-entropy, SGD and a
    torchmetrics accuracy, loss and accuracy logged per epoch. Inputs (batch, features), labels (batch,)."""

    def __init__(self, net: nn.Sequential, learning_rate=0.01, num_classes=3):
        super().__init__()
        self.net = net
        self.learning_rate = learning_rate
        self.accuracy = torchmetrics.Accuracy(task="multiclass", num_classes=num_classes)

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        self.accuracy(logits, y)
        self.log("loss", loss, on_step=False, on_epoch=True)
        self.log("accuracy", self.accuracy, on_step=False, on_epoch=True)
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.learning_rate)


def copy_dense_stack(keras_model, net: nn.Sequential) -> None:
    """Every Dense kernel and bias of ``keras_model`` into the ``nn.Linear`` layers of ``net``, in order."""
    dense = [layer for layer in keras_model.layers if isinstance(layer, keras.layers.Dense)]
    linear = [module for module in net if isinstance(module, nn.Linear)]
    assert len(dense) == len(linear)
    for layer, module in zip(dense, linear):
        kernel, bias = layer.get_weights()
        set_parameter(module.weight, kernel.T), set_parameter(module.bias, bias)


@check("sequential")
def check_sequential(row):
    features = int(row.given("keras", r"keras\.Input\(\({n},\)\)"))
    hidden = tuple(
        int(v)
        for v in row.given(
            "keras", r'layers\.Dense\({n}, activation="relu"\), layers\.Dense\({n}, activation="relu"\)'
        )
    )
    classes = int(row.given("keras", r'layers\.Dense\({n}, activation="softmax"\)'))
    sizes = [
        int(v)
        for v in row.claim(
            "torch",
            r"nn\.Sequential\(nn\.Linear\({n}, {n}\), nn\.ReLU\(\), "
            r"nn\.Linear\({n}, {n}\), nn\.ReLU\(\), nn\.Linear\({n}, {n}\)\)",
        )
    ]
    parameters = row.claim("notes", r"both have {n} parameters")
    dim = int(row.claim("notes", r"dim=-{n}\)"))
    row.mentions("torch", "L.LightningModule"), row.mentions("torch", "returns self.net(x)")
    keras.utils.set_random_seed(50)
    keras_model = day_one_keras(features, hidden, classes)
    module = SequentialModule(day_one_net(sizes))
    expect(parameters, keras_model.count_params(), "the Keras model's parameter count")
    expect(parameters, count(module), "the LightningModule's parameter count")
    copy_dense_stack(keras_model, module.net)
    x = rng(50).standard_normal((6, features)).astype(np.float32)
    logits = module(as_tensor(x)).detach()
    assert close(F.softmax(logits, dim=-dim), keras_model(x)), "softmax of the logits = the Keras output"
    assert not close(logits, keras_model(x)), "the LightningModule returns logits, not probabilities"


@functools.cache
def one_epoch_of_both(learning_rate: float, num_classes: int, samples: int):
    """From the same weights: one Keras ``fit`` epoch of the course's compiled model and one
    ``Trainer.fit`` epoch of ``SequentialModule``, one batch of ``samples``. Returns the Keras
    history, Lightning's callback metrics and both models' weights afterwards."""
    keras.utils.set_random_seed(51)
    keras_model = day_one_keras()
    keras_model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    module = SequentialModule(day_one_net((4, 4, 4, 4, 4, 3)), learning_rate, num_classes)
    copy_dense_stack(keras_model, module.net)
    x = rng(51).standard_normal((samples, 4)).astype(np.float32)
    y = rng(52).integers(0, 3, samples)
    history = keras_model.fit(x, y, batch_size=samples, epochs=1, shuffle=False, verbose=0).history
    trainer = quiet_trainer(max_epochs=1)
    quietly(
        trainer.fit, module, DataLoader(TensorDataset(as_tensor(x), torch.from_numpy(y)), batch_size=samples)
    )
    keras_weights = [w for layer in keras_model.layers for w in layer.get_weights()]
    torch_weights = [p.detach().numpy() for p in module.net.parameters()]
    return history, {k: v.item() for k, v in trainer.callback_metrics.items()}, keras_weights, torch_weights


@check("compile")
def check_compile(row):
    for text in ('optimizer="sgd"', 'loss="sparse_categorical_crossentropy"', 'metrics=["accuracy"]'):
        row.mentions("keras", text)  # the strings one_epoch_of_both compiles with
    rate = float(row.claim("torch", r"torch\.optim\.SGD\(self\.parameters\(\), lr={n}\)"))
    row.mentions("torch", "loss = F.cross_entropy(self(x), y)")
    num_classes = int(row.claim("torch", r'torchmetrics\.Accuracy\(task="multiclass", num_classes={n}\)'))
    samples = int(row.given("notes", r"one batch of {n}"))
    assert num_classes == day_one_keras().output_shape[-1], "one class per output of the model"
    history, metrics, keras_weights, torch_weights = one_epoch_of_both(rate, num_classes, samples)
    assert metrics["loss"] == pytest.approx(history["loss"][0], rel=1e-5)
    assert metrics["accuracy"] == pytest.approx(history["accuracy"][0], abs=1e-7)
    for keras_weight, torch_weight in zip(keras_weights, torch_weights):
        torch_weight = torch_weight.T if torch_weight.ndim == 2 else torch_weight
        assert close(torch_weight, keras_weight, atol=1e-6), "the same new weights"


@functools.cache
def epoch_accuracy_logged(predictions: tuple, labels: tuple, num_classes: int, batch_size: int) -> tuple:
    """``(logged epoch accuracy, mean of the batch accuracies)`` of a LightningModule that logs a
    torchmetrics ``Accuracy`` object on fixed one-hot outputs, batches of ``batch_size``."""

    class Logged(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(1))
            self.accuracy = torchmetrics.Accuracy(task="multiclass", num_classes=num_classes)
            self.per_batch = []

        def training_step(self, batch, batch_idx):
            outputs, targets = batch
            self.per_batch.append(self.accuracy(outputs, targets).item())
            self.log("accuracy", self.accuracy, on_epoch=True)
            return (self.weight * 0).sum()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.0)

    outputs = F.one_hot(torch.tensor(predictions), num_classes).float()
    module, trainer = Logged(), quiet_trainer(max_epochs=1)
    quietly(
        trainer.fit, module, DataLoader(TensorDataset(outputs, torch.tensor(labels)), batch_size=batch_size)
    )
    return trainer.callback_metrics["accuracy"].item(), float(np.mean(module.per_batch))


@check("accuracy-average")
def check_accuracy_average(row):
    predictions = tuple(
        int(v) for v in row.given("keras", r"predictions {n}, {n}, {n}, {n}, {n}, {n} against")
    )
    labels = tuple(int(v) for v in row.given("keras", r"labels {n}, {n}, {n}, {n}, {n}, {n} score"))
    keras_score = row.claim("keras", r"score {n}")
    micro_classes = int(row.claim("torch", r'torchmetrics\.Accuracy\(task="multiclass", num_classes={n}\)'))
    same = row.claim("torch", r"the same {n};")
    macro_classes = int(row.claim("torch", r"MulticlassAccuracy\(num_classes={n}\)"))
    macro = row.claim("torch", r"by default\): {n}")
    row.mentions("keras", 'metrics=["accuracy"]'), row.mentions("torch", 'average="macro"')
    classes = max(predictions + labels) + 1
    assert micro_classes == macro_classes == classes, "num_classes is the number of classes"
    outputs = np.eye(classes, dtype=np.float32)[list(predictions)]  # a largest output at each prediction
    model = keras.Sequential([keras.Input((classes,)), keras.layers.Identity()])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    expect(
        keras_score,
        model.evaluate(outputs, np.array(labels), verbose=0, return_dict=True)["accuracy"],
        "Keras' accuracy",
    )
    p, t = torch.tensor(predictions), torch.tensor(labels)
    expect(
        same,
        torchmetrics.Accuracy(task="multiclass", num_classes=micro_classes)(p, t),
        "torchmetrics.Accuracy",
    )
    expect(macro, MulticlassAccuracy(num_classes=macro_classes)(p, t), "MulticlassAccuracy's default")
    row.mentions("notes", 'average="micro"')
    expect(
        keras_score, MulticlassAccuracy(num_classes=macro_classes, average="micro")(p, t), "average='micro'"
    )
    row.mentions("notes", 'self.log("accuracy", self.accuracy, on_epoch=True)')
    logged, batch_mean = epoch_accuracy_logged(predictions, labels, micro_classes, batch_size=4)
    expect(keras_score, logged, "the logged metric object over the epoch (batches of 4 and 2)")
    assert not agrees(keras_score, batch_mean), "not the mean of the batch accuracies"


@check("model-summary")
def check_model_summary(row):
    printed_total = row.claim("keras", r"Total params: {n}")
    counted = row.claim("keras", r"count_params\(\) returns {n}")
    depth = row.claim("torch", r"to depth {n}")
    torch_parameters = row.claim("torch", r"one row of {n} parameters")
    inner_depth = int(row.given("torch", r"max_depth={n}\)"))
    features = int(row.given("notes", r"over {n} features"))
    trainable, non_trainable = row.claim("notes", r"has {n} trainable and {n} non-trainable weights")
    torch_features = int(row.given("notes", r"nn\.BatchNorm1d\({n}\)"))
    bn_parameters, statistics, counter = row.claim("notes", r"has {n} parameters and {n} \+ {n} buffers")
    keras_model = day_one_keras()
    lines = []
    keras_model.summary(print_fn=lambda text, line_break=None: lines.append(text))
    total = re.search(r"Total params: ([\d,]+)", "\n".join(lines))
    expect(printed_total, int(total.group(1).replace(",", "")), "the total printed by summary()")
    expect(counted, keras_model.count_params(), "count_params()")
    summaries = [
        c for c in quiet_trainer(enable_model_summary=True).callbacks if isinstance(c, ModelSummaryCallback)
    ]
    assert len(summaries) == 1, "Trainer.fit prints a model summary by default"
    expect(depth, summaries[0]._max_depth, "the depth of the Trainer's summary")
    module = NetModule(day_one_net((4, 4, 4, 4, 4, 3)))
    outer = ModelSummary(module, max_depth=int(depth))
    assert outer.layer_names == ["net"]
    expect(torch_parameters, outer.param_nums[0], "the net's row")
    expect(torch_parameters, sum(p.numel() for p in module.parameters()), "sum(p.numel())")
    inner = ModelSummary(module, max_depth=inner_depth)
    assert inner.layer_names == ["net"] + [f"net.{i}" for i in range(len(module.net))], "the layers inside"
    layer = keras.layers.BatchNormalization()
    layer.build((None, features))
    expect(
        trainable,
        sum(w.numpy().size for w in layer.trainable_weights),
        "BatchNormalization's trainable weights",
    )
    expect(
        non_trainable, sum(w.numpy().size for w in layer.non_trainable_weights), "its non-trainable weights"
    )
    batchnorm = nn.BatchNorm1d(torch_features)
    expect(bn_parameters, sum(p.numel() for p in batchnorm.parameters()), "BatchNorm1d's parameters")
    buffers = dict(batchnorm.named_buffers())
    expect(counter, buffers.pop("num_batches_tracked").numel(), "num_batches_tracked")
    expect(statistics, sum(b.numel() for b in buffers.values()), "its running statistics")


class FitRecorder(L.LightningModule):
    """One weight; records the inputs of every training batch ``(epoch, values)`` and of every
    validation batch outside the sanity check. Batches ``(x, y)``, x (batch, 1)."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.trained, self.validated = [], []

    def training_step(self, batch, batch_idx):
        x, y = batch
        self.trained.append((self.current_epoch, x.flatten().int().tolist()))
        return ((self.weight * x - y) ** 2).mean()

    def validation_step(self, batch, batch_idx):
        if not self.trainer.sanity_checking:
            self.validated.append((self.current_epoch, batch[0].flatten().int().tolist()))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


@functools.cache
def lightning_fit_with_tail(samples, max_epochs, train_end, train_batch, val_start, val_batch):
    """``Trainer(max_epochs).fit`` on ``x[:train_end]`` (shuffled) and ``x[val_start:]``, x = 0..samples−1;
    returns the epochs run and the recorded training and validation batches."""
    x = torch.arange(samples, dtype=torch.float32)[:, None]
    train = DataLoader(TensorDataset(x[:train_end], x[:train_end]), batch_size=train_batch, shuffle=True)
    val = DataLoader(TensorDataset(x[val_start:], x[val_start:]), batch_size=val_batch)
    module, trainer = FitRecorder(), quiet_trainer(max_epochs=max_epochs)
    quietly(trainer.fit, module, train, val)
    return trainer.current_epoch, module.trained, module.validated


@check("fit-basics")
def check_fit_basics(row):
    epochs = int(row.claim("keras", r"epochs={n}, batch_size"))
    keras_batch = int(row.claim("keras", r"batch_size={n}, validation_split"))
    fraction = float(row.given("keras", r"validation_split={n}\)"))
    samples = int(row.given("keras", r"on {n} samples"))
    first, batches, last = row.claim(
        "keras", r"the first {n} in {n} batches per epoch and validates on the last {n}"
    )
    max_epochs = int(row.claim("torch", r"L\.Trainer\(max_epochs={n}\)"))
    train_x, train_y, train_batch = (
        int(v)
        for v in row.claim("torch", r"TensorDataset\(x\[:{n}\], y\[:{n}\]\), batch_size={n}, shuffle=True")
    )
    val_x, val_y, val_batch = (
        int(v) for v in row.claim("torch", r"TensorDataset\(x\[{n}:\], y\[{n}:\]\), batch_size={n}\)")
    )
    one, notes_fraction = (float(v) for v in row.claim("notes", r"floor\(n·\({n} − {n}\)\)"))
    model, history, _, _, per_epoch = recorded_fit(
        samples=samples, epochs=epochs, batch_size=keras_batch, validation_split=fraction
    )
    assert len(history.history["val_loss"]) == len(per_epoch) == epochs, "epochs = epochs run"
    keras_epochs = [model.trained[sum(per_epoch[:e]) : sum(per_epoch[: e + 1])] for e in range(epochs)]
    keras_train = sorted(v for batch in keras_epochs[0] for v in batch)
    expect(first, len(keras_train), "the samples fit trains on per epoch")
    assert keras_train == list(range(len(keras_train))), "the first ones"
    expect(batches, per_epoch[0], "fit's batches per epoch")
    expect(last, len(model.validated[0]), "the samples fit validates on")
    assert math.floor(samples * (one - notes_fraction)) == len(keras_train), (
        "the tail starts at floor(n·(1 − f))"
    )
    assert train_x == train_y and val_x == val_y, "inputs and targets split alike"
    ran, trained, validated = lightning_fit_with_tail(
        samples, max_epochs, train_x, train_batch, val_x, val_batch
    )
    assert val_batch == train_batch == keras_batch, "both loaders take fit's batch_size"
    larger = recorded_fit(samples=200, epochs=1, batch_size=keras_batch, validation_split=fraction)[0]
    assert len(larger.validated[0]) == val_batch, "fit validates in batches of batch_size too"
    assert ran == max_epochs == epochs, "max_epochs ↔ epochs"
    for epoch, keras_batches in enumerate(keras_epochs):
        lightning_batches = [values for e, values in trained if e == epoch]
        assert [len(b) for b in lightning_batches] == [len(b) for b in keras_batches], "the same batch sizes"
        assert sorted(v for batch in lightning_batches for v in batch) == keras_train, (
            "the same training samples"
        )
    assert [values for e, values in validated if e == 0] == [model.validated[0]], (
        "the same held-out tail, in order"
    )


@functools.cache
def lightning_epoch_loss(
    targets: tuple, batch_size: int, on_epoch: bool, epochs: int = 1, log_dir: str | None = None
):
    """The logged ``loss`` after ``epochs`` of a model whose batch loss is mean(y²) (weight 0, lr 0),
    logged with ``on_step=False, on_epoch=True`` or with ``training_step``'s defaults."""

    class LossLogger(FitRecorder):
        def training_step(self, batch, batch_idx):
            loss = super().training_step(batch, batch_idx)
            if on_epoch:
                self.log("loss", loss, on_step=False, on_epoch=True)
            else:
                self.log("loss", loss)
            return loss

    y = torch.tensor(targets, dtype=torch.float32)[:, None]
    logger = CSVLogger(log_dir) if log_dir else False
    trainer = quiet_trainer(max_epochs=epochs, logger=logger)
    quietly(
        trainer.fit, LossLogger(), DataLoader(TensorDataset(torch.zeros_like(y), y), batch_size=batch_size)
    )
    return trainer.callback_metrics["loss"].item()


@check("epoch-metrics")
def check_epoch_metrics(row):
    losses = [float(v) for v in row.given("keras", r"batch losses {n}, {n} and {n} on")]
    sizes = [int(v) for v in row.given("keras", r"batches of {n}, {n} and {n} samples")]
    keras_mean = row.claim("keras", r"samples give {n}")
    torch_mean = row.claim("torch", r"weighted mean, {n} \(")
    last = row.claim("torch", r"the last batch's {n}")
    plain = row.claim("notes", r"would be {n};")
    row.mentions("torch", 'self.log("loss", loss, on_step=False, on_epoch=True)')
    row.mentions("torch", "on_step=True, on_epoch=False")
    batch_size, samples = sizes[0], sum(sizes)
    assert [min(batch_size, samples - i) for i in range(0, samples, batch_size)] == sizes, (
        "batches of batch_size"
    )
    # targets √loss, predictions 0: each batch's MSE is its loss
    targets = tuple(float(v) for loss, size in zip(losses, sizes) for v in [math.sqrt(loss)] * size)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    history = model.fit(
        np.zeros((samples, 1), np.float32),
        np.array(targets, np.float32),
        batch_size=batch_size,
        epochs=1,
        shuffle=False,
        verbose=0,
    ).history
    expect(keras_mean, history["loss"][0], "fit's epoch loss")
    expect(torch_mean, lightning_epoch_loss(targets, batch_size, on_epoch=True), "Lightning's on_epoch loss")
    expect(last, lightning_epoch_loss(targets, batch_size, on_epoch=False), "training_step's default logging")
    expect(plain, np.mean(losses), "the plain mean of the batch losses")
    assert not agrees(plain, history["loss"][0]), "Keras weights by the batch sizes"
    with tempfile.TemporaryDirectory() as directory:
        lightning_epoch_loss(targets, batch_size, on_epoch=True, epochs=2, log_dir=directory)
        rows = (Path(directory) / "lightning_logs/version_0/metrics.csv").read_text().splitlines()
        assert rows[0].split(",").count("loss") == 1 and len(rows) == 1 + 2, "CSVLogger: one row per epoch"
    lightning_epoch_loss.cache_clear()  # the temporary folder is gone


class LinearTestModule(L.LightningModule):
    """``nn.Linear(4, 1)``; its ``test_step`` logs the MSE with the defaults and records each batch's
    size, mode and whether gradients were on."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 1)
        self.seen = []

    def forward(self, x):
        return self.linear(x)

    def test_step(self, batch, batch_idx):
        x, y = batch
        loss = F.mse_loss(self(x), y)
        self.seen.append((len(x), self.training, torch.is_grad_enabled(), loss.item()))
        self.log("test_loss", loss)


@check("evaluate-test")
def check_evaluate_test(row):
    keras_batch = row.claim("keras", r"in batches of {n}, in inference")
    torch_batch = int(row.claim("torch", r"DataLoader\(test_set, batch_size={n}\)\)"))
    samples = int(row.given("notes", r"on {n} samples"))
    first, rest = row.claim("notes", r"batches of {n} and {n}\)")
    row.mentions("torch", 'self.log("test_loss", loss)'), row.mentions("keras", "return_dict=True")
    recorder = BatchRecorder()
    recorder.compile(run_eagerly=True)
    recorder.evaluate(np.zeros((samples, 1), np.float32), np.arange(samples, dtype=np.float32), verbose=0)
    keras_sizes = [len(batch) for batch in recorder.validated]
    expect(keras_batch, keras_sizes[0], "evaluate's batch size")
    expect(first, keras_sizes[0], "the first batch"), expect(rest, keras_sizes[1], "the second batch")
    assert len(keras_sizes) == 2
    x = rng(53).standard_normal((samples, 4)).astype(np.float32)
    y = (x @ np.arange(4, dtype=np.float32)[:, None] + rng(54).standard_normal((samples, 1))).astype(
        np.float32
    )
    keras.utils.set_random_seed(53)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    keras_loss = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    module = LinearTestModule()
    copy_dense_stack(model, nn.Sequential(module.linear))
    results = quietly(
        quiet_trainer().test,
        module,
        DataLoader(TensorDataset(as_tensor(x), as_tensor(y)), batch_size=torch_batch),
        verbose=False,
    )
    assert len(results) == 1 and set(results[0]) == {"test_loss"}, "one dict per dataloader"
    assert results[0]["test_loss"] == pytest.approx(keras_loss, rel=1e-5)
    assert [size for size, *_ in module.seen] == keras_sizes, "the same batches"
    assert all(not training and not grad for _, training, grad, _ in module.seen), "eval() mode, no gradients"
    assert not np.isclose(np.mean([loss for *_, loss in module.seen]), keras_loss, rtol=1e-3), (
        "weighted, not plain"
    )

    class NoTestStep(L.LightningModule):
        def forward(self, x):
            return x

    with pytest.raises(Exception, match="test_step"):
        quietly(quiet_trainer().test, NoTestStep(), DataLoader(as_tensor(x)), verbose=False)


class PredictSizes(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.sizes = []

    def on_predict_batch_end(self, batch, logs=None):
        self.sizes.append(len(logs["outputs"]))


@check("predict")
def check_predict(row):
    keras_batch = row.claim("keras", r"in batches of {n} in inference")
    torch_batch = int(row.claim("torch", r"DataLoader\(x, batch_size={n}\)\)"))
    samples = int(row.given("notes", r"for {n} samples"))
    tensors, first, rest = row.claim("notes", r"{n} tensors of {n} and {n} rows")
    row.mentions("torch", "torch.cat(outputs)"), row.mentions("torch", "with torch.no_grad(): model(x)")
    keras.utils.set_random_seed(55)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dropout(0.5)])
    x = rng(55).standard_normal((samples, 4)).astype(np.float32)
    sizes = PredictSizes()
    predicted = model.predict(x, verbose=0, callbacks=[sizes])
    assert isinstance(predicted, np.ndarray) and predicted.shape == (samples, 3), "one array of all outputs"
    expect(keras_batch, sizes.sizes[0], "predict's batch size")
    assert close(predicted, model(x, training=False), atol=1e-6), "inference mode: dropout off"
    module = SequentialModule(nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5)))
    copy_dense_stack(model, module.net)
    outputs = quietly(quiet_trainer().predict, module, DataLoader(as_tensor(x), batch_size=torch_batch))
    expect(tensors, len(outputs), "the tensors trainer.predict returns")
    expect(first, len(outputs[0]), "the first tensor's rows"), expect(rest, len(outputs[1]), "the second's")
    assert [len(o) for o in outputs] == sizes.sizes, "the batches of Keras' predict"
    joined = torch.cat(outputs)
    module.eval()
    with torch.no_grad():
        direct = module(as_tensor(x))
    assert not direct.requires_grad and torch.equal(joined, direct), "both ways alike"
    assert close(joined, predicted, atol=1e-6), "the Keras values"
    module.train()
    assert not close(module(as_tensor(x)).detach(), direct), "in training mode dropout would be on"


@functools.cache
def lightning_modes() -> dict:
    """``{stage: {(module.training, gradients enabled)}}`` seen by a LightningModule's steps in
    fit, test and predict."""

    class ModeRecorder(FitRecorder):
        def __init__(self):
            super().__init__()
            self.modes = {}

        def record(self, stage):
            self.modes.setdefault(stage, set()).add((self.training, torch.is_grad_enabled()))

        def training_step(self, batch, batch_idx):
            self.record("train")
            return super().training_step(batch, batch_idx)

        def validation_step(self, batch, batch_idx):
            self.record("validation")

        def test_step(self, batch, batch_idx):
            self.record("test")

        def predict_step(self, batch, batch_idx):
            self.record("predict")
            return batch[0]

    x = torch.arange(4.0)[:, None]
    data = DataLoader(TensorDataset(x, x), batch_size=2)
    module, trainer = ModeRecorder(), quiet_trainer(max_epochs=2)
    quietly(trainer.fit, module, data, data)
    quietly(trainer.test, module, data, verbose=False)
    quietly(trainer.predict, module, data)
    return module.modes


@check("training-mode")
def check_training_mode(row):
    mean, variance = row.claim("keras", r"moving mean {n} and variance {n}:")
    one, epsilon = row.claim("keras", r"x/√\({n} \+ {n}\)")
    keras_ratio = row.claim("keras", r"= {n}·x;")
    features = int(row.given("torch", r"nn\.BatchNorm1d\({n}, eps"))
    torch_epsilon = float(row.claim("torch", r"eps={n}\)"))
    torch_ratio = row.claim("torch", r"gives {n}·x too")
    for text in ("model.eval()", "model.train()", "training=False"):
        row.mentions("torch", text)
    x = (rng(56).standard_normal((8, features)) + 3).astype(np.float32)
    layer = keras.layers.BatchNormalization()
    layer.build((None, features))
    expect(mean, np.unique(layer.moving_mean.numpy()).item(), "a fresh moving mean")
    expect(variance, np.unique(layer.moving_variance.numpy()).item(), "a fresh moving variance")
    expect(one, np.unique(layer.moving_variance.numpy()).item(), "the variance under the root")
    expect(epsilon, layer.epsilon, "BatchNormalization's epsilon")
    inference = np.asarray(layer(x, training=False))
    expect(keras_ratio, np.mean(inference / x), "training=False output / input")
    assert close(inference / x, 1 / math.sqrt(one + epsilon), atol=1e-6), "x/√(1 + ε) for every value"
    assert close(np.asarray(layer(x)), inference, atol=0), "a plain call is inference"
    assert close(np.asarray(layer(x, training=True)).mean(0), 0, atol=1e-4), "training=True: batch statistics"
    assert close(np.asarray(keras.layers.Dropout(0.5)(np.ones((4, 4), np.float32))), 1, atol=0), (
        "Dropout keeps all"
    )
    trained = nn.BatchNorm1d(features, eps=torch_epsilon)
    assert trained.training, "a module starts in training mode"
    plain = trained(as_tensor(x)).detach().numpy()  # (and updates the running statistics)
    assert close(plain.mean(0), 0, atol=1e-4) and not close(plain, inference, atol=1e-2), (
        "a plain call trains"
    )
    batchnorm = nn.BatchNorm1d(features, eps=torch_epsilon)
    batchnorm.eval()
    output = batchnorm(as_tensor(x))
    expect(torch_ratio, (output.detach() / as_tensor(x)).mean(), "eval() output / input")
    assert output.requires_grad, "eval() does not stop gradients"
    row.mentions("notes", "with torch.no_grad():")
    with torch.no_grad():
        assert not batchnorm(as_tensor(x)).requires_grad
    batchnorm.train()
    assert batchnorm.training
    modes = lightning_modes()
    assert modes["train"] == {(True, True)}, "training: train() with gradients"
    for stage in ("validation", "test", "predict"):
        assert modes[stage] == {(False, False)}, f"{stage}: eval() without gradients"


# ---------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------
@check("dense")
def check_dense(row):
    row.mentions("keras", "kernel (in, units)"), row.mentions("torch", "weight (units, in)")
    row.mentions("notes", "weight = kernel.T")
    x = rng().standard_normal((3, 5)).astype(np.float32)
    layer = keras.layers.Dense(4)
    layer(x)  # built from the first input: in = 5
    kernel, bias = randomize(layer, rng(1))
    linear = nn.Linear(5, 4)
    assert kernel.shape == (5, 4) and tuple(linear.weight.shape) == (4, 5)
    set_parameter(linear.weight, kernel.T), set_parameter(linear.bias, bias)
    assert close(linear(as_tensor(x)).detach(), layer(x))


@check("conv2d")
def check_conv2d(row):
    kernel_size = int(row.given("keras", r'Conv2D\(f, {n}, padding="same"\)'))
    torch_kernel = int(row.claim("torch", r'nn\.Conv2d\(c, f, {n}, padding="same"\)'))
    padding = int(row.claim("torch", r"or padding={n}:"))
    order = [int(v) for v in row.claim("notes", r"kernel\.permute\({n}, {n}, {n}, {n}\)")]
    stride = int(row.claim("notes", r"only with stride {n}"))
    x = rng().standard_normal((2, 6, 5, 3)).astype(np.float32)
    layer = keras.layers.Conv2D(4, kernel_size, padding="same")
    layer(x)
    kernel, bias = randomize(layer, rng(1))
    expected = np.asarray(layer(x))
    for torch_padding in ("same", padding):
        conv = nn.Conv2d(3, 4, torch_kernel, padding=torch_padding)
        set_parameter(conv.weight, as_tensor(kernel).permute(*order)), set_parameter(conv.bias, bias)
        assert close(nhwc(conv(nchw(x))), expected), f"padding={torch_padding!r}"
    nn.Conv2d(3, 4, 3, padding="same", stride=stride)
    with pytest.raises(ValueError):
        nn.Conv2d(3, 4, 3, padding="same", stride=stride + 1)


@check("conv2d-strided")
def check_conv2d_strided(row):
    kernel_size, stride = (
        int(v) for v in row.given("keras", r'Conv2D\(f, {n}, strides={n}, padding="same"\)')
    )
    before, after = (int(v) for v in row.claim("keras", r"pads {n} pixels before and {n} after"))
    torch_args = [
        int(row.given("torch", r"nn\.Conv2d\(c, f, {n}, stride")),
        *(int(v) for v in row.claim("torch", r"stride={n}, padding={n}\) pads")),
    ]
    pads = [int(v) for v in row.claim("notes", r"F\.pad\(x, \({n}, {n}, {n}, {n}\)\)")]
    then_padding = int(row.claim("notes", r"then padding={n}"))
    x = rng(2).standard_normal((2, 6, 8, 3)).astype(np.float32)  # even sizes
    layer = keras.layers.Conv2D(4, kernel_size, strides=stride, padding="same")
    layer(x)
    kernel, bias = randomize(layer, rng(3))
    expected = np.asarray(layer(x))

    def torch_conv(padding, k=kernel_size, s=stride):
        conv = nn.Conv2d(3, 4, k, stride=s, padding=padding)
        set_parameter(conv.weight, as_tensor(kernel).permute(3, 2, 0, 1)), set_parameter(conv.bias, bias)
        return conv

    keras_pads = (before, after, before, after)
    for pad_before, pad_after in ((before, after), (pads[0], pads[1]), (pads[2], pads[3])):
        # TF's "same": the padded side is exactly covered by the last window, no pixel more
        assert x.shape[1] + pad_before + pad_after == (expected.shape[1] - 1) * stride + kernel_size
    assert close(nhwc(torch_conv(0)(F.pad(nchw(x), keras_pads))), expected), "Keras' own padding"
    assert close(nhwc(torch_conv(then_padding)(F.pad(nchw(x), tuple(pads)))), expected), "the mapping"
    k, s, p = torch_args
    symmetric = nhwc(torch_conv(p, k, s)(nchw(x)))
    assert symmetric.shape == expected.shape and not close(symmetric, expected, atol=1e-2)


@check("conv2d-transpose")
def check_conv2d_transpose(row):
    kernel_size, stride = (
        int(v) for v in row.given("keras", r'Conv2DTranspose\(f, {n}, strides={n}, padding="same"\)')
    )
    keras_factor = row.claim("keras", r"output size {n}n")
    k, s, p, output_padding = (
        int(v)
        for v in row.claim(
            "torch", r"nn\.ConvTranspose2d\(c, f, {n}, stride={n}, padding={n}, output_padding={n}\)"
        )
    )
    torch_factor = row.claim("torch", r"size {n}n too")
    shift = int(row.claim("torch", r"shifted by {n} pixel"))
    exact_padding, keep_factor = row.claim("notes", r"exact: padding={n}, then keep the first {n}n rows")
    even_kernel, even_padding, even_output_padding = (
        int(v) for v in row.claim("notes", r"a kernel of {n} with padding={n}, output_padding={n} is exact")
    )
    order = [int(v) for v in row.claim("notes", r"weight = kernel\.permute\({n}, {n}, {n}, {n}\)")]
    height, width = 5, 6
    x = rng(4).standard_normal((2, height, width, 3)).astype(np.float32)

    def pair(kernel):
        layer = keras.layers.Conv2DTranspose(4, kernel, strides=stride, padding="same")
        layer(x)
        weights = randomize(layer, rng(kernel))
        return np.asarray(layer(x)), weights

    def torch_deconv(weights, kernel, padding, extra, torch_stride=stride):
        deconv = nn.ConvTranspose2d(3, 4, kernel, stride=torch_stride, padding=padding, output_padding=extra)
        (
            set_parameter(deconv.weight, as_tensor(weights[0]).permute(*order)),
            set_parameter(deconv.bias, weights[1]),
        )
        return nhwc(deconv(nchw(x)))

    expected, weights = pair(kernel_size)
    expect(keras_factor, expected.shape[1] / height, "Keras' output size / n")
    shifted = torch_deconv(weights, k, p, output_padding, s)
    expect(torch_factor, shifted.shape[1] / height, "torch's output size / n")
    assert not close(shifted, expected, atol=1e-2)
    assert close(shifted[:, :-shift, :-shift], expected[:, shift:, shift:]), f"shifted by {shift}"
    full = torch_deconv(weights, kernel_size, int(exact_padding), 0)
    keep_h, keep_w = int(keep_factor) * height, int(keep_factor) * width
    assert close(full[:, :keep_h, :keep_w], expected), "the exact mapping"
    even_expected, even_weights = pair(even_kernel)
    assert close(torch_deconv(even_weights, even_kernel, even_padding, even_output_padding), even_expected)


@check("max-pooling")
def check_max_pooling(row):
    pool = int(row.given("keras", r"MaxPooling2D\({n}\)"))
    odd = row.given("keras", r"odd sizes \({n} →")
    floored = row.claim("keras", r"→ {n}\)")
    torch_pool = int(row.claim("torch", r"nn\.MaxPool2d\({n}\)"))
    x = rng(5).standard_normal((1, int(odd), 5, 2)).astype(np.float32)
    expected = np.asarray(keras.layers.MaxPooling2D(pool)(x))
    got = nhwc(nn.MaxPool2d(torch_pool)(nchw(x)))
    expect(floored, expected.shape[1], "Keras' pooled size")
    assert got.shape == expected.shape and close(got, expected)


@check("batchnorm")
def check_batchnorm(row):
    keras_momentum = row.claim("keras", r"momentum={n}")
    keras_epsilon = row.claim("keras", r"epsilon={n}")
    torch_momentum, torch_eps = row.claim("torch", r"momentum={n}, eps={n}")
    mapped_eps, mapped_momentum = row.claim("notes", r"nn\.BatchNorm2d\(c, eps={n}, momentum={n}\)")
    difference, one, old = row.claim("notes", r"\({n} = {n} − {n}\)")
    unbiased_one = row.claim("notes", r"n/\(n − {n}\)")
    layer, default = keras.layers.BatchNormalization(), nn.BatchNorm2d(3)
    expect(keras_momentum, layer.momentum, "BatchNormalization().momentum")
    expect(keras_epsilon, layer.epsilon, "BatchNormalization().epsilon")
    expect(torch_momentum, default.momentum, "nn.BatchNorm2d(c).momentum")
    expect(torch_eps, default.eps, "nn.BatchNorm2d(c).eps")
    expect(difference, one - old, "the stated subtraction")
    expect(mapped_momentum, 1 - layer.momentum, "1 − Keras' momentum")
    expect(mapped_eps, layer.epsilon, "Keras' epsilon")
    x = (rng(6).standard_normal((8, 5, 3, 4)) * 3 + 2).astype(np.float32)
    outputs = np.asarray(layer(x, training=True))
    mapped = nn.BatchNorm2d(4, eps=float(mapped_eps), momentum=float(mapped_momentum)).train()
    got = nhwc(mapped(nchw(x)))
    assert close(got, outputs, atol=1e-4), "training-mode outputs"
    assert close(mapped.running_mean, layer.moving_mean.numpy(), atol=1e-6), "moving means"
    n = x.shape[0] * x.shape[1] * x.shape[2]
    biased = x.reshape(-1, 4).var(0)
    assert close(layer.moving_variance.numpy(), layer.momentum + (1 - layer.momentum) * biased, atol=1e-5)
    torch_variance = layer.momentum + (1 - layer.momentum) * biased * n / (n - float(unbiased_one))
    assert close(mapped.running_var.detach(), torch_variance, atol=1e-5), "torch's variance update"
    assert not close(mapped.running_var.detach(), layer.moving_variance.numpy(), atol=1e-5)


@check("dropout")
def check_dropout(row):
    rate = float(row.given("keras", r"Dropout\({n}\): kept"))
    one, one_again, rate_again = row.given("keras", r"{n}/\({n} − {n}\)")
    scale = row.claim("keras", r"\) = {n} in training")
    torch_rate = float(row.claim("torch", r"nn\.Dropout\({n}\)"))
    expect(scale, float(one) / (float(one_again) - float(rate_again)), "the stated formula")
    ones = np.ones((64, 64), np.float32)
    keras_training = np.asarray(keras.layers.Dropout(rate, seed=1)(ones, training=True))
    module = nn.Dropout(torch_rate)
    assert module.training, "a new torch module is in training mode"
    torch_training = module(torch.ones(64, 64)).numpy()
    for values in (keras_training, torch_training):
        kept = np.unique(values)
        assert kept.tolist() == [0.0, pytest.approx(float(scale))], kept
    assert close(keras.layers.Dropout(rate)(ones), ones), "a plain Keras call is inference"
    assert close(module.eval()(torch.ones(64, 64)), ones), "eval() switches torch's dropout off"


@check("flatten")
def check_flatten(row):
    row.mentions("keras", "flattens (H, W, C)"), row.mentions("torch", "flattens (C, H, W)")
    order = [int(v) for v in row.claim("notes", r"x\.permute\({n}, {n}, {n}, {n}\)")]
    start = int(row.claim("notes", r"\.flatten\({n}\)"))
    x = rng(7).standard_normal((2, 3, 4, 5)).astype(np.float32)
    expected = np.asarray(keras.layers.Flatten()(x))
    assert close(nchw(x).permute(*order).flatten(start), expected)
    assert not close(nn.Flatten()(nchw(x)), expected)


@check("global-average-pooling")
def check_global_average_pooling(row):
    output_size = int(row.claim("torch", r"nn\.AdaptiveAvgPool2d\({n}\)"))
    dims = tuple(int(v) for v in row.claim("torch", r"x\.mean\(dim=\({n}, {n}\)\)"))
    x = rng(8).standard_normal((2, 3, 4, 5)).astype(np.float32)
    expected = np.asarray(keras.layers.GlobalAveragePooling2D()(x))
    assert close(nn.Sequential(nn.AdaptiveAvgPool2d(output_size), nn.Flatten())(nchw(x)), expected)
    assert close(nchw(x).mean(dim=dims), expected)


@functools.cache
def masked_keras_lstm(pad_id: int):
    """Keras Embedding(mask_zero=True) + LSTM on a right-padded batch and on the unpadded review."""
    keras.utils.set_random_seed(0)
    embedding, lstm = keras.layers.Embedding(10, 4, mask_zero=True), keras.layers.LSTM(3)
    ids = np.array([[3, 5, 2, pad_id, pad_id], [4, 1, 6, 7, 2]])
    padded = np.asarray(lstm(embedding(ids)))
    alone = np.asarray(lstm(embedding(ids[:1, :3])))
    return ids, padded, alone, embedding.get_weights()[0], lstm.get_weights()


@check("embedding-mask")
def check_embedding_mask(row):
    masked_id = int(row.claim("keras", r"whose id is {n}"))
    padding_idx = int(row.claim("torch", r"padding_idx={n}\)"))
    zeroed_id = int(row.claim("torch", r"the vector of id {n}"))
    not_id, length_dim = (int(v) for v in row.claim("notes", r"\(ids != {n}\)\.sum\({n}\)"))
    ids, padded, alone, table, (kernel, recurrent, bias) = masked_keras_lstm(0)
    assert close(padded[:1], alone, atol=1e-6), "Keras skips the padded steps"
    _, padded_with_claim, alone_with_claim, _, _ = masked_keras_lstm(masked_id)
    assert close(padded_with_claim[:1], alone_with_claim, atol=1e-6), f"Keras masks id {masked_id}"
    fresh = nn.Embedding(10, 4, padding_idx=padding_idx)
    assert torch.all(fresh.weight[zeroed_id] == 0) and torch.all(fresh.weight[zeroed_id + 1] != 0)
    embedding = nn.Embedding(10, 4, padding_idx=padding_idx)
    set_parameter(embedding.weight, table)
    lstm = nn.LSTM(4, 3, batch_first=True)
    copy_recurrent(kernel, recurrent, bias, lstm)
    token_ids = as_tensor(ids)
    with torch.no_grad():
        vectors = embedding(token_ids)
        unmasked = lstm(vectors)[0][:, -1]
        lengths = (token_ids != not_id).sum(length_dim)
        packed = pack_padded_sequence(vectors, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = lstm(packed)
    assert not close(unmasked[:1], alone, atol=1e-3), "the torch RNN runs over the padding"
    assert close(h_n[-1], padded, atol=1e-5), "packing skips it like Keras' mask"


@check("simple-rnn")
def check_simple_rnn(row):
    row.mentions("keras", "input (batch, time, features)"), row.mentions("torch", "batch_first=False")
    last = int(row.claim("torch", r"outputs\[:, -{n}\]"))
    bias_hh = row.claim("notes", r"bias_hh_l0 = {n}")
    x = rng(9).standard_normal((2, 6, 3)).astype(np.float32)
    layer = keras.layers.SimpleRNN(4)
    layer(x)
    kernel, recurrent, bias = randomize(layer, rng(10))
    expected = np.asarray(layer(x))
    assert nn.RNN(3, 4).batch_first is False
    rnn = nn.RNN(3, 4, batch_first=True)
    copy_recurrent(kernel, recurrent, bias, rnn, bias_hh=float(bias_hh))
    outputs, h_n = rnn(as_tensor(x))
    assert close(outputs[:, -last].detach(), expected) and close(h_n[0].detach(), expected)
    assert count(rnn) - layer.count_params() == 4, "torch has u more parameters"


@check("lstm")
def check_lstm(row):
    keras_gates, keras_bias = row.claim("keras", r"{n}u\(in \+ u\) \+ {n}u parameters")
    torch_gates, torch_bias = row.claim("torch", r"{n}u\(in \+ u\) \+ {n}u parameters")
    extra = row.claim("notes", r"the extra {n}u")
    stays = row.claim("notes", r"stay {n}")
    held = row.claim("notes", r"holds them at {n} in training")
    row.mentions("keras", "gates i, f, c, o"), row.mentions("torch", "gates i, f, g, o")
    inputs, units = 3, 5
    x = rng(11).standard_normal((2, 6, inputs)).astype(np.float32)
    layer = keras.layers.LSTM(units)
    layer(x)
    kernel, recurrent, bias = randomize(layer, rng(12))
    lstm = nn.LSTM(inputs, units, batch_first=True)
    expect(
        keras_gates,
        (layer.count_params() - keras_bias * units) / (units * (inputs + units)),
        "Keras' gate blocks",
    )
    expect(
        torch_gates, (count(lstm) - torch_bias * units) / (units * (inputs + units)), "torch's gate blocks"
    )
    expect(
        keras_bias,
        (layer.count_params() - keras_gates * units * (inputs + units)) / units,
        "Keras' bias count / u",
    )
    expect(
        torch_bias, (count(lstm) - torch_gates * units * (inputs + units)) / units, "torch's bias count / u"
    )
    expect(extra, (count(lstm) - layer.count_params()) / units, "torch's extra parameters / u")
    copy_recurrent(kernel, recurrent, bias, lstm, bias_hh=float(stays))
    assert close(lstm(as_tensor(x))[0][:, -1].detach(), layer(x))
    trained = keras_rnn("lstm", inputs, units)
    optimizer = torch.optim.Adam(trained.parameters(), lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        trained(as_tensor(x))[0].square().sum().backward()
        optimizer.step()
    assert torch.all(trained.bias_hh_l0 == float(held)) and torch.all(trained.bias_ih_l0 != 0)


@check("bidirectional")
def check_bidirectional(row):
    forward_index, backward_index = (
        int(v) for v in row.claim("torch", r"h_n\[-{n}\] is the forward, h_n\[-{n}\] the backward")
    )
    first, second, dim = (
        int(v) for v in row.claim("notes", r"torch\.cat\(\[h_n\[-{n}\], h_n\[-{n}\]\], dim={n}\)")
    )
    last = int(row.given("notes", r"not outputs\[:, -{n}\]"))
    x = rng(13).standard_normal((2, 7, 3)).astype(np.float32)
    layer = keras.layers.Bidirectional(keras.layers.LSTM(5))
    layer(x)
    weights = randomize(layer, rng(14))
    expected = np.asarray(layer(x))
    lstm = nn.LSTM(3, 5, batch_first=True, bidirectional=True)
    copy_recurrent(*weights[:3], lstm)
    copy_recurrent(*weights[3:], lstm, suffix="_reverse")
    forward_only = nn.LSTM(3, 5, batch_first=True)
    copy_recurrent(*weights[:3], forward_only)
    with torch.no_grad():
        outputs, (h_n, _) = lstm(as_tensor(x))
        forward_final = forward_only(as_tensor(x))[1][0][-1]
    assert close(h_n[-forward_index], forward_final), "the forward final state"
    assert close(h_n[-backward_index], expected[:, 5:]), "the backward final state"
    assert close(torch.cat([h_n[-first], h_n[-second]], dim=dim), expected)
    assert not close(outputs[:, -last], expected, atol=1e-2)


@check("leaky-relu")
def check_leaky_relu(row):
    layer_slope = row.claim("keras", r"LeakyReLU\(\): negative_slope={n}")
    function_slope = row.claim("keras", r"leaky_relu: negative_slope={n}")
    torch_slope = row.claim("torch", r"negative_slope={n}")
    mapped = float(row.claim("notes", r"nn\.LeakyReLU\({n}\)"))
    minus_one = np.array([-1.0], np.float32)
    expect(
        layer_slope, -np.asarray(keras.layers.LeakyReLU()(minus_one))[0], "Keras' LeakyReLU at −1, negated"
    )
    expect(function_slope, -np.asarray(keras.activations.leaky_relu(minus_one))[0], "leaky_relu(−1), negated")
    expect(torch_slope, -nn.LeakyReLU()(torch.tensor([-1.0])).item(), "nn.LeakyReLU at −1, negated")
    x = np.linspace(-3, 3, 13).astype(np.float32)
    assert close(nn.LeakyReLU(mapped)(as_tensor(x)), keras.layers.LeakyReLU()(x), atol=1e-7)


@check("activations")
def check_activations(row):
    keras_names = re.findall(r'"(\w+)"', row.text("keras"))
    torch_names = re.findall(r"\b(F|torch)\.(\w+)", row.text("torch"))
    assert len(keras_names) == len(torch_names) >= 10, (keras_names, torch_names)
    shift, divisor = row.claim("notes", r"relu6\(x \+ {n}\)/{n}")
    exact = row.mentions("notes", "none")
    probe = as_tensor(np.linspace(-3, 3, 7).astype(np.float32))
    assert torch.equal(F.gelu(probe), F.gelu(probe, approximate=exact)), (
        "torch's default gelu is the exact one"
    )
    assert not torch.equal(F.gelu(probe), F.gelu(probe, approximate="tanh"))
    x = np.linspace(-5, 5, 41).astype(np.float32)
    for keras_name, (namespace, torch_name) in zip(keras_names, torch_names):
        torch_function = getattr(F if namespace == "F" else torch, torch_name)
        expected = np.asarray(keras.activations.get(keras_name)(x))
        assert close(torch_function(as_tensor(x)), expected, atol=1e-6), (
            f"{keras_name} vs {namespace}.{torch_name}"
        )
    formula = np.clip(x + float(shift), 0, 6) / float(divisor)
    assert close(keras.activations.hard_sigmoid(x), formula, atol=1e-7) and close(
        F.hardsigmoid(as_tensor(x)), formula
    )


@check("softmax")
def check_softmax(row):
    axis = row.claim("keras", r"axis=-{n}")
    dim = int(row.claim("torch", r"nn\.Softmax\(dim=-{n}\)"))
    expect(
        axis,
        -inspect.signature(keras.activations.softmax).parameters["axis"].default,
        "softmax's default axis, negated",
    )
    assert nn.Softmax().dim is None, "torch's Softmax has no default dimension"
    x = rng(15).standard_normal((3, 4)).astype(np.float32)
    assert close(nn.Softmax(dim=-dim)(as_tensor(x)), keras.activations.softmax(x), atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------
@check("mse")
def check_mse(row):
    column = int(row.claim("keras", r"predictions \(n, {n}\)"))
    torch_column = int(row.claim("torch", r"against \(n, {n}\)"))
    reshape = [int(v) for v in row.claim("notes", r"y\.view\(-{n}, {n}\)")]
    targets = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    predictions = np.array([1.5, 2.0, 2.0, 5.0], np.float32).reshape(-1, column)
    correct = float(np.mean((predictions[:, 0] - targets) ** 2))
    assert float(keras.losses.MeanSquaredError()(targets, predictions)) == pytest.approx(correct, rel=1e-6)
    torch_predictions = as_tensor(predictions.reshape(-1, torch_column))
    with pytest.warns(UserWarning, match="broadcasting"):
        broadcast = F.mse_loss(torch_predictions, as_tensor(targets)).item()
    assert broadcast == pytest.approx(float(np.mean((predictions - targets[None, :]) ** 2)), rel=1e-6)
    assert broadcast != pytest.approx(correct, rel=1e-2)
    mapped = F.mse_loss(torch_predictions, as_tensor(targets).view(-reshape[0], reshape[1])).item()
    assert mapped == pytest.approx(correct, rel=1e-6)
    assert nn.MSELoss()(torch_predictions, as_tensor(targets).view(-1, 1)).item() == mapped


@check("mae")
def check_mae(row):
    row.mentions("keras", '"mae"'), row.mentions("torch", "F.l1_loss")
    targets = rng(16).standard_normal((5, 1)).astype(np.float32)
    predictions = rng(17).standard_normal((5, 1)).astype(np.float32)
    expected = float(keras.losses.get("mae")(targets, predictions).numpy().mean())
    assert F.l1_loss(as_tensor(predictions), as_tensor(targets)).item() == pytest.approx(expected, rel=1e-6)
    assert nn.L1Loss()(as_tensor(predictions), as_tensor(targets)).item() == pytest.approx(expected, rel=1e-6)


def keras_bce(label, probability, from_logits=False):
    return float(
        keras.losses.binary_crossentropy(
            np.array([[label]], np.float32), np.array([[probability]], np.float32), from_logits=from_logits
        ).numpy()[0]
    )


@check("bce-probabilities")
def check_bce_probabilities(row):
    low, one, high_gap = row.claim("keras", r"clips them to \[{n}, {n} − {n}\]")
    logged, bound = row.claim("keras", r"at most −ln\({n}\) = {n} per sample")
    torch_clamp = row.claim("torch", r"clamps each log at −{n}")
    torch_bound = row.claim("torch", r"at most {n}")
    expect(low, keras.config.epsilon(), "keras.config.epsilon()")
    positive_at_zero = keras_bce(1.0, 0.0)
    expect(bound, positive_at_zero, "Keras' loss of a positive predicted as 0")
    assert positive_at_zero == pytest.approx(-math.log(float(logged)), rel=1e-4)
    assert positive_at_zero == pytest.approx(-math.log(float(low)), rel=1e-4)
    upper = np.float32(float(one)) - np.float32(float(high_gap))  # the upper clip bound, in float32
    assert keras_bce(0.0, 1.0) == pytest.approx(-math.log(1.0 - float(upper)), rel=1e-3)
    torch_loss = F.binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0])).item()
    expect(torch_clamp, torch_loss, "torch's loss of a positive predicted as 0")
    expect(torch_bound, torch_loss, "torch's largest loss")


@check("bce-logits")
def check_bce_logits(row):
    logit = float(row.given("notes", r"logit −{n}"))
    cost = row.claim("notes", r"costs {n} in both")
    expect(cost, keras_bce(1.0, -logit, from_logits=True), "Keras' loss")
    expect(
        cost,
        F.binary_cross_entropy_with_logits(torch.tensor([-logit]), torch.tensor([1.0])).item(),
        "torch's loss",
    )
    expect(
        cost,
        nn.BCEWithLogitsLoss()(torch.tensor([-logit]), torch.tensor([1.0])).item(),
        "nn.BCEWithLogitsLoss",
    )
    logits = rng(18).standard_normal((6, 1)).astype(np.float32)
    labels = (rng(19).random((6, 1)) > 0.5).astype(np.float32)
    expected = float(keras.losses.BinaryCrossentropy(from_logits=True)(labels, logits))
    torch_loss = F.binary_cross_entropy_with_logits(as_tensor(logits), as_tensor(labels)).item()
    assert torch_loss == pytest.approx(expected, rel=1e-5)


@check("sparse-categorical-ce")
def check_sparse_categorical_ce(row):
    row.mentions("keras", "from_logits=False")
    gap = float(row.given("notes", r"a logit gap of {n}"))
    clip, logged, keras_value, torch_value = row.claim(
        "notes", r"clips at {n}: −ln\({n}\) = {n} where torch gives {n}"
    )
    assert keras.losses.SparseCategoricalCrossentropy().get_config()["from_logits"] is False
    logits = rng(20).standard_normal((5, 3)).astype(np.float32)
    labels = np.array([0, 2, 1, 1, 0])
    expected = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits))
    assert F.cross_entropy(as_tensor(logits), as_tensor(labels)).item() == pytest.approx(expected, rel=1e-5)
    saturated = np.array([[0.0, gap, 0.0]], np.float32)
    probabilities = np.asarray(keras.activations.softmax(saturated))
    keras_loss = float(keras.losses.SparseCategoricalCrossentropy()(np.array([0]), probabilities))
    expect(keras_value, keras_loss, "Keras' loss on the saturated softmax")
    assert keras_loss == pytest.approx(-math.log(float(logged)), rel=1e-4)
    assert keras_loss == pytest.approx(-math.log(float(clip)), rel=1e-4)
    expect(
        torch_value,
        F.cross_entropy(as_tensor(saturated), torch.tensor([0])).item(),
        "torch's loss on the logits",
    )


@check("categorical-ce")
def check_categorical_ce(row):
    axis = int(row.claim("torch", r"targets\.argmax\({n}\)"))
    logits = rng(21).standard_normal((5, 4)).astype(np.float32)
    one_hot = np.eye(4, dtype=np.float32)[[0, 3, 1, 1, 2]]
    expected = float(keras.losses.CategoricalCrossentropy(from_logits=True)(one_hot, logits))
    assert F.cross_entropy(as_tensor(logits), as_tensor(one_hot)).item() == pytest.approx(expected, rel=1e-5)
    assert F.cross_entropy(as_tensor(logits), as_tensor(one_hot).argmax(axis)).item() == pytest.approx(
        expected, rel=1e-5
    )


@check("loss-reduction")
def check_loss_reduction(row):
    assert keras.losses.MeanSquaredError().reduction == row.mentions("keras", "sum_over_batch_size")
    assert nn.MSELoss().reduction == row.mentions("torch", "mean")
    targets = rng(22).standard_normal((7, 2)).astype(np.float32)
    predictions = rng(23).standard_normal((7, 2)).astype(np.float32)
    per_sample = np.asarray(keras.losses.mean_squared_error(targets, predictions))
    assert float(keras.losses.MeanSquaredError()(targets, predictions)) == pytest.approx(
        per_sample.mean(), rel=1e-6
    )
    assert nn.MSELoss()(as_tensor(predictions), as_tensor(targets)).item() == pytest.approx(
        per_sample.mean(), rel=1e-6
    )


# ---------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------
def learning_rate(optimizer) -> float:
    return float(np.asarray(optimizer.learning_rate))


def torch_defaults(optimizer_class):
    return optimizer_class([nn.Parameter(torch.zeros(1))]).defaults


def keras_steps(optimizer, start, gradients, rates=None):
    """Weights after each Keras step; ``rates[i]`` sets the learning rate before step i."""
    variable, trajectory = keras.Variable(start), []
    for index, gradient in enumerate(gradients):
        if rates is not None:
            optimizer.learning_rate = rates[index]
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
        trajectory.append(np.asarray(variable).copy())
    return trajectory


def torch_steps(optimizer_class, start, gradients, rates=None, per_step=None, **options):
    """Weights after each torch step; ``per_step(group, t)`` may change the group before step t."""
    parameter = nn.Parameter(as_tensor(start.copy()))
    optimizer, trajectory = optimizer_class([parameter], **options), []
    for index, gradient in enumerate(gradients):
        if rates is not None:
            optimizer.param_groups[0]["lr"] = rates[index]
        if per_step is not None:
            per_step(optimizer.param_groups[0], index + 1)
        parameter.grad = as_tensor(gradient)
        optimizer.step()
        trajectory.append(parameter.detach().numpy().copy())
    return trajectory


@check("sgd-defaults")
def check_sgd_defaults(row):
    keras_rate, keras_momentum = row.claim("keras", r"learning_rate={n}, momentum={n}")
    torch_rate, torch_momentum = row.claim("torch", r"lr={n}, momentum={n}")
    mapped = row.claim("notes", r"pass lr={n}")
    for optimizer in (keras.optimizers.SGD(), keras.optimizers.get("sgd")):
        expect(keras_rate, learning_rate(optimizer), "Keras SGD's learning rate")
        expect(keras_momentum, optimizer.momentum, "Keras SGD's momentum")
    defaults = torch_defaults(torch.optim.SGD)
    expect(torch_rate, defaults["lr"], "torch SGD's lr")
    expect(torch_momentum, defaults["momentum"], "torch SGD's momentum")
    expect(mapped, learning_rate(keras.optimizers.SGD()), "Keras' default rate")


@check("sgd-momentum")
def check_sgd_momentum(row):
    momentum = float(row.claim("keras", r"SGD\(momentum={n}\): v"))
    keras_coefficient = float(row.claim("keras", r"v ← {n}·v"))
    torch_momentum = float(row.claim("torch", r"SGD\(momentum={n}\): b"))
    torch_coefficient = float(row.claim("torch", r"b ← {n}·b"))
    start = rng(24).standard_normal(6).astype(np.float32)
    gradients = [rng(25 + i).standard_normal(6).astype(np.float32) for i in range(5)]
    rate = 0.1
    keras_path = keras_steps(keras.optimizers.SGD(rate, momentum=momentum), start, gradients)
    torch_path = torch_steps(torch.optim.SGD, start, gradients, lr=rate, momentum=torch_momentum)
    weights, velocity, buffer, torch_weights = start.astype(np.float64), 0.0, 0.0, start.astype(np.float64)
    for gradient, keras_weights, torch_result in zip(gradients, keras_path, torch_path):
        velocity = keras_coefficient * velocity - rate * gradient
        weights = weights + velocity
        buffer = torch_coefficient * buffer + gradient
        torch_weights = torch_weights - rate * buffer
        assert close(keras_weights, weights, atol=1e-5), "Keras' stated rule"
        assert close(torch_result, torch_weights, atol=1e-5), "torch's stated rule"
        assert close(keras_weights, torch_result, atol=1e-5), "equal at a constant learning rate"
    rates = [0.1, 0.1, 0.02, 0.02, 0.02]
    keras_scheduled = keras_steps(keras.optimizers.SGD(rate, momentum=momentum), start, gradients, rates)
    torch_scheduled = torch_steps(torch.optim.SGD, start, gradients, rates, lr=rate, momentum=torch_momentum)
    assert not close(keras_scheduled[-1], torch_scheduled[-1], atol=1e-3), "they part when the rate changes"


@check("adam-defaults")
def check_adam_defaults(row):
    keras_values = row.claim("keras", r"learning_rate={n}, beta_1={n}, beta_2={n}, epsilon={n}")
    torch_rate, beta1, beta2, torch_eps = row.claim("torch", r"lr={n}, betas=\({n}, {n}\), eps={n}")
    for optimizer in (keras.optimizers.Adam(), keras.optimizers.get("adam")):
        actual = (learning_rate(optimizer), optimizer.beta_1, optimizer.beta_2, optimizer.epsilon)
        for stated, value, name in zip(
            keras_values, actual, ("learning_rate", "beta_1", "beta_2", "epsilon")
        ):
            expect(stated, value, f"Keras Adam's {name}")
    defaults = torch_defaults(torch.optim.Adam)
    expect(torch_rate, defaults["lr"], "torch Adam's lr")
    expect(beta1, defaults["betas"][0], "torch Adam's beta 1")
    expect(beta2, defaults["betas"][1], "torch Adam's beta 2")
    expect(torch_eps, defaults["eps"], "torch Adam's eps")


@check("adam-update")
def check_adam_update(row):
    keras_one_2, keras_one_1 = (float(v) for v in row.claim("keras", r"lr·√\({n} − β₂ᵗ\)/\({n} − β₁ᵗ\)"))
    torch_one_1, torch_one_2 = (
        float(v) for v in row.claim("torch", r"lr/\({n} − β₁ᵗ\) · m/\(√v/√\({n} − β₂ᵗ\) \+ eps\)")
    )
    mapping_one = float(row.claim("notes", r"eps = ε/√\({n} − β₂ᵗ\)"))
    plain_eps = float(row.claim("notes", r"eps={n} alone"))
    ratio = row.claim("notes", r"makes the first step {n} times Keras'")
    small = float(row.claim("notes", r"\|g\| = {n}"))
    b1, b2, eps, rate = 0.9, 0.999, 1e-7, 1e-3
    start = rng(26).standard_normal(5).astype(np.float32)
    gradients = [(rng(27 + i).standard_normal(5) * 1e-3).astype(np.float32) for i in range(3)]
    keras_path = keras_steps(keras.optimizers.Adam(rate), start, gradients)
    torch_path = torch_steps(torch.optim.Adam, start, gradients, lr=rate)
    keras_w, torch_w, m, v = start.astype(np.float64), start.astype(np.float64), 0.0, 0.0
    for t, (gradient, keras_result, torch_result) in enumerate(
        zip(gradients, keras_path, torch_path), start=1
    ):
        m, v = b1 * m + (1 - b1) * gradient, b2 * v + (1 - b2) * gradient.astype(np.float64) ** 2
        keras_w = keras_w - rate * math.sqrt(keras_one_2 - b2**t) / (keras_one_1 - b1**t) * m / (
            np.sqrt(v) + eps
        )
        torch_w = torch_w - rate / (torch_one_1 - b1**t) * m / (
            np.sqrt(v) / math.sqrt(torch_one_2 - b2**t) + 1e-8
        )
        step = np.abs(keras_result - start).max()
        assert np.abs(keras_result - keras_w).max() <= 1e-3 * step, "Keras' stated step"
        assert np.abs(torch_result - torch_w).max() <= 1e-3 * step, "torch's stated step"
    tiny = [
        np.full(5, small, np.float32) * np.sign(rng(30 + i).standard_normal(5)).astype(np.float32)
        for i in range(3)
    ]
    keras_tiny = keras_steps(keras.optimizers.Adam(rate), start, tiny)

    def keras_eps(group, t):
        group["eps"] = eps / math.sqrt(mapping_one - b2**t)

    mapped = torch_steps(torch.optim.Adam, start, tiny, per_step=keras_eps, lr=rate)
    for keras_result, torch_result in zip(keras_tiny, mapped):
        assert np.abs(keras_result - torch_result).max() <= 1e-4 * np.abs(keras_result - start).max(), (
            "the eps mapping"
        )
    plain = torch_steps(torch.optim.Adam, start, tiny[:1], lr=rate, eps=plain_eps)[0]
    expect(
        ratio,
        np.abs(plain - start).max() / np.abs(keras_tiny[0] - start).max(),
        "torch's first step / Keras'",
    )


@check("adamw-defaults")
def check_adamw_defaults(row):
    expect(
        row.claim("keras", r"weight_decay={n}"),
        keras.optimizers.AdamW().weight_decay,
        "Keras AdamW's weight_decay",
    )
    expect(
        row.claim("torch", r"weight_decay={n}"),
        torch_defaults(torch.optim.AdamW)["weight_decay"],
        "torch AdamW's",
    )


@check("rmsprop-defaults")
def check_rmsprop_defaults(row):
    keras_values = row.claim("keras", r"learning_rate={n}, rho={n}, momentum={n}, epsilon={n}")
    torch_values = row.claim("torch", r"lr={n}, alpha={n}, momentum={n}, eps={n}")
    mapped_rate, mapped_alpha = row.claim("notes", r"lr={n}, alpha={n} match")
    optimizer = keras.optimizers.RMSprop()
    actual = (learning_rate(optimizer), optimizer.rho, optimizer.momentum, optimizer.epsilon)
    for stated, value, name in zip(keras_values, actual, ("learning_rate", "rho", "momentum", "epsilon")):
        expect(stated, value, f"Keras RMSprop's {name}")
    defaults = torch_defaults(torch.optim.RMSprop)
    for stated, name in zip(torch_values, ("lr", "alpha", "momentum", "eps")):
        expect(stated, defaults[name], f"torch RMSprop's {name}")
    expect(mapped_rate, learning_rate(optimizer), "Keras' default rate")
    expect(mapped_alpha, optimizer.rho, "Keras' rho")


@check("rmsprop-update")
def check_rmsprop_update(row):
    alpha = float(row.claim("notes", r"alpha={n}, eps"))
    # ε is tiny next to √v here: either value gives the ratio
    eps = float(row.given("notes", r"eps={n} torch"))
    times = row.claim("notes", r"first step is {n} times")
    small = float(row.claim("notes", r"gradients of {n};"))
    row.mentions("keras", "lr·g/√(v + ε)"), row.mentions("torch", "lr·g/(√v + eps)")
    rate, rho, epsilon = 1e-3, 0.9, 1e-7
    start = rng(31).standard_normal(5).astype(np.float32)
    gradients = [(rng(32 + i).standard_normal(5) * 1e-3).astype(np.float32) for i in range(3)]
    keras_path = keras_steps(keras.optimizers.RMSprop(rate), start, gradients)
    torch_path = torch_steps(torch.optim.RMSprop, start, gradients, lr=rate, alpha=alpha, eps=eps)
    keras_w, torch_w, v = start.astype(np.float64), start.astype(np.float64), 0.0
    for gradient, keras_result, torch_result in zip(gradients, keras_path, torch_path):
        v = rho * v + (1 - rho) * gradient.astype(np.float64) ** 2
        keras_w = keras_w - rate * gradient / np.sqrt(v + epsilon)
        torch_w = torch_w - rate * gradient / (np.sqrt(v) + eps)
        assert close(keras_result, keras_w, atol=1e-6) and close(torch_result, torch_w, atol=1e-6), (
            "the stated steps"
        )
    tiny = [np.full(5, small, np.float32)]
    keras_step = keras_steps(keras.optimizers.RMSprop(rate), start, tiny)[0] - start
    torch_step = torch_steps(torch.optim.RMSprop, start, tiny, lr=rate, alpha=alpha, eps=eps)[0] - start
    expect(times, np.abs(torch_step).max() / np.abs(keras_step).max(), "torch's first step / Keras'")


# ---------------------------------------------------------------------------------------------
# Initialisers
# ---------------------------------------------------------------------------------------------
def seeded():
    keras.utils.set_random_seed(0)
    torch.manual_seed(0)


def kaiming_bound(a: float, fan_in: int) -> float:
    """``kaiming_uniform_(a=a)``'s bound: gain·√(3/fan_in) with gain = √(2/(1 + a²))."""
    return math.sqrt(2 / (1 + a * a)) * math.sqrt(3 / fan_in)


@check("init-dense")
def check_init_dense(row):
    six = row.claim("keras", r"U\(±√\({n}/\(fan_in \+ fan_out\)\)\)")
    a_squared = float(row.claim("torch", r"kaiming_uniform_\(a=√{n}\)"))
    weight_numerator = row.claim("torch", r"which is U\(±{n}/√fan_in\)")
    bias_numerator = row.claim("torch", r"bias U\(±{n}/√fan_in\)")
    row.mentions("notes", "nn.init.xavier_uniform_(w)"), row.mentions("notes", "nn.init.zeros_(b)")
    seeded()
    fan_in, fan_out = 512, 256
    layer = keras.layers.Dense(fan_out)
    layer.build((None, fan_in))
    kernel, bias = (w.numpy() for w in (layer.kernel, layer.bias))
    expect(
        six, np.abs(kernel).max() ** 2 * (fan_in + fan_out), "Keras' largest |kernel|² · (fan_in + fan_out)"
    )
    assert not bias.any(), "Keras' bias starts at zero"
    linear = nn.Linear(fan_in, fan_out)
    weight_max, bias_max = linear.weight.abs().max().item(), linear.bias.abs().max().item()
    expect(weight_numerator, weight_max * math.sqrt(fan_in), "torch's largest |weight| · √fan_in")
    expect(bias_numerator, bias_max * math.sqrt(fan_in), "torch's largest |bias| · √fan_in")
    assert weight_max == pytest.approx(kaiming_bound(math.sqrt(a_squared), fan_in), rel=0.01)
    nn.init.xavier_uniform_(linear.weight)
    nn.init.zeros_(linear.bias)
    assert (
        linear.weight.abs().max().item() == pytest.approx(np.abs(kernel).max(), rel=0.01)
        and not linear.bias.any()
    )


@check("init-conv")
def check_init_conv(row):
    a_squared = float(row.claim("torch", r"kaiming_uniform_\(a=√{n}\)"))
    numerator = row.claim("torch", r"U\(±{n}/√\(kh·kw·in\)\)")
    row.mentions("keras", "fan_in = kh·kw·in, fan_out = kh·kw·out")
    seeded()
    size, channels_in, channels_out = 3, 32, 64
    layer = keras.layers.Conv2D(channels_out, size)
    layer.build((None, 8, 8, channels_in))
    kernel_max = np.abs(layer.kernel.numpy()).max()
    glorot = math.sqrt(6 / (size * size * channels_in + size * size * channels_out))
    assert kernel_max == pytest.approx(glorot, rel=0.01) and not layer.bias.numpy().any()
    conv = nn.Conv2d(channels_in, channels_out, size)
    fan_in = size * size * channels_in
    expect(
        numerator,
        conv.weight.abs().max().item() * math.sqrt(fan_in),
        "torch's largest |weight| · √(kh·kw·in)",
    )
    assert conv.weight.abs().max().item() == pytest.approx(
        kaiming_bound(math.sqrt(a_squared), fan_in), rel=0.01
    )
    nn.init.xavier_uniform_(conv.weight)
    assert conv.weight.abs().max().item() == pytest.approx(glorot, rel=0.01), (
        "xavier_uniform_ uses the same fans"
    )


@check("init-recurrent")
def check_init_recurrent(row):
    forget = row.claim("keras", r"forget-gate bias {n}")
    numerator = row.claim("torch", r"U\(±{n}/√u\)")
    mapped_forget = row.claim("notes", r"set to {n}")
    seeded()
    inputs, units = 8, 16
    lstm = keras.layers.LSTM(units)
    lstm.build((None, 5, inputs))
    kernel, recurrent, bias = lstm.get_weights()
    assert np.abs(kernel).max() == pytest.approx(math.sqrt(6 / (inputs + 4 * units)), rel=0.02), (
        "glorot_uniform"
    )
    assert close(recurrent @ recurrent.T, np.eye(units), atol=1e-5), "orthogonal"
    blocks = bias.reshape(4, units)
    assert not blocks[[0, 2, 3]].any()
    expect(forget, blocks[1].min(), "Keras' forget-gate bias")
    assert blocks[1].min() == blocks[1].max()
    simple = keras.layers.SimpleRNN(units)
    simple.build((None, 5, inputs))
    _, simple_recurrent, simple_bias = simple.get_weights()
    assert close(simple_recurrent @ simple_recurrent.T, np.eye(units), atol=1e-5) and not simple_bias.any()
    torch_lstm = nn.LSTM(inputs, units)
    largest = max(p.abs().max().item() for p in torch_lstm.parameters())
    expect(numerator, largest * math.sqrt(units), "torch's largest |parameter| · √u")
    keras_recurrent_init_(torch_lstm)
    torch_bias = torch_lstm.bias_ih_l0.detach().reshape(4, units)
    expect(mapped_forget, torch_bias[1].min().item(), "keras_recurrent_init_'s forget-gate block")
    assert not torch_bias[[0, 2, 3]].any() and not torch_lstm.bias_hh_l0.any()
    w_hh = torch_lstm.weight_hh_l0.detach()
    assert close(w_hh.T @ w_hh, torch.eye(units), atol=1e-5)


@check("init-embedding")
def check_init_embedding(row):
    low, high = row.claim("keras", r"U\(−{n}, {n}\)")
    mean, std = row.claim("torch", r"N\({n}, {n}\)")
    mapped_low, mapped_high = (float(v) for v in row.claim("notes", r"uniform_\(w, -{n}, {n}\)"))
    seeded()
    layer = keras.layers.Embedding(1000, 64)
    layer.build((None,))
    table = layer.embeddings.numpy()
    expect(low, -table.min(), "Keras' smallest embedding value, negated")
    expect(high, table.max(), "Keras' largest embedding value")
    embedding = nn.Embedding(1000, 64)
    expect(mean, embedding.weight.mean().item(), "the mean of torch's embedding")
    expect(std, embedding.weight.std().item(), "the standard deviation of torch's embedding")
    nn.init.uniform_(embedding.weight, -mapped_low, mapped_high)
    assert embedding.weight.min().item() == pytest.approx(table.min(), abs=1e-3)
    assert embedding.weight.max().item() == pytest.approx(table.max(), abs=1e-3)


@check("init-batchnorm")
def check_init_batchnorm(row):
    keras_values = row.claim("keras", r"gamma {n}, beta {n}, moving mean {n}, moving variance {n}")
    torch_values = row.claim("torch", r"weight {n}, bias {n}, running_mean {n}, running_var {n}")
    layer = keras.layers.BatchNormalization()
    layer.build((None, 3))
    module = nn.BatchNorm2d(3)
    torch_tensors = (module.weight, module.bias, module.running_mean, module.running_var)
    pairs = zip(keras_values, torch_values, layer.get_weights(), torch_tensors)
    for stated, torch_stated, keras_weight, torch_tensor in pairs:
        assert keras_weight.min() == keras_weight.max() and torch_tensor.min() == torch_tensor.max()
        expect(stated, keras_weight[0], "a Keras BatchNormalization weight")
        expect(torch_stated, torch_tensor[0].item(), "a torch BatchNorm tensor")


# ---------------------------------------------------------------------------------------------
# fit ↔ Trainer: recorded Keras fits and scripted Lightning runs
# ---------------------------------------------------------------------------------------------
class BatchRecorder(keras.Model):
    """Records the targets of every batch ``fit`` trains and validates on (run eagerly)."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.trained, self.validated = [], []

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        self.trained.append(np.asarray(data[1]).astype(int).tolist())
        return {"loss": float(len(self.trained))}

    def test_step(self, data):
        self.validated.append(np.asarray(data[1]).astype(int).tolist())
        return {"loss": float(len(self.validated))}


class EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches_per_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self.batches_per_epoch.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.batches_per_epoch[-1] += 1


@functools.cache
def recorded_fit(samples=99, epochs=2, verbose=0, seeded=True, **options):
    """A Keras ``fit`` on the targets 0..samples−1; returns the recorder, the history, the printed
    text, the warnings and the batches per epoch. ``seeded``: ``keras.utils.set_random_seed(0)``
    first, else TensorFlow's global seed is unset."""
    if seeded:
        keras.utils.set_random_seed(0)
    else:
        tf.random.set_seed(None)
    with unseeded_ops_allowed(not seeded):
        return _recorded_fit(samples, epochs, verbose, **options)


@contextlib.contextmanager
def unseeded_ops_allowed(needed: bool):
    """TensorFlow refuses unseeded random ops while op determinism is on — and an earlier test in
    this process (any Keras run of ``twins``) may have switched it on: off for the block, then back."""
    from tensorflow.python.framework import config as tf_config  # the public API can only switch it on

    was_on = needed and tf_config.is_op_determinism_enabled()
    if was_on:
        tf_config.disable_op_determinism()
    try:
        yield
    finally:
        if was_on:
            tf_config.enable_op_determinism()


def _recorded_fit(samples, epochs, verbose, **options):
    options = dict(options)
    data = options.pop("data", None)
    if data == "dataset":
        x = tf.data.Dataset.from_tensor_slices(
            (np.zeros((samples, 1), np.float32), np.arange(samples, dtype=np.float32))
        ).batch(32)
        arguments = (x,)
    elif data == "py_dataset":
        arguments = (CountingBatches(),)
    else:
        arguments = (np.zeros((samples, 1), np.float32), np.arange(samples, dtype=np.float32))
    model, counter = BatchRecorder(), EpochCounter()
    model.compile(run_eagerly=True)
    printed = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(printed):
        warnings.simplefilter("always")
        history = model.fit(*arguments, epochs=epochs, verbose=verbose, callbacks=[counter], **options)
    return model, history, printed.getvalue(), [str(w.message) for w in caught], counter.batches_per_epoch


class CountingBatches(keras.utils.PyDataset):
    """8 batches of 4; batch i holds the targets 4i..4i+3."""

    def __init__(self):
        super().__init__()
        self.requested = []

    def __len__(self):
        return 8

    def __getitem__(self, index):
        self.requested.append(index)
        targets = np.arange(4 * index, 4 * index + 4, dtype=np.float32)
        return np.zeros((4, 1), np.float32), targets


logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
logging.getLogger("lightning.fabric").setLevel(logging.ERROR)


class ScriptedModule(L.LightningModule):
    """One weight, trained towards the batch mean; its ``val_loss`` follows ``val_losses`` epoch by epoch."""

    def __init__(self, val_losses=(1.0,), learning_rate=0.1):
        super().__init__()
        self.save_hyperparameters()
        self.weight = nn.Parameter(torch.zeros(1))
        self.scheduler_factory = None
        self.trained, self.rates, self.weights_after = [], [], {}

    def training_step(self, batch, batch_index):
        (x,) = batch
        self.trained.append((self.current_epoch, x.flatten().int().tolist()))
        return ((self.weight - x.mean()) ** 2).sum()

    def on_train_epoch_start(self):
        self.rates.append(self.optimizers().param_groups[0]["lr"])

    def validation_step(self, batch, batch_index):
        self.log("val_loss", float(self.hparams.val_losses[self.current_epoch]))

    def on_validation_epoch_end(self):
        self.weights_after[self.current_epoch] = self.weight.item()

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=self.hparams.learning_rate)
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "monitor": "val_loss"}}


def loader(samples=6, batch_size=2):
    return DataLoader(
        TensorDataset(torch.arange(samples, dtype=torch.float32)[:, None]), batch_size=batch_size
    )


def lightning_run(module, max_epochs, callbacks=(), ckpt_path=None, **trainer_options):
    options = {
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
    }
    options.update(trainer_options)
    if any(isinstance(c, ModelCheckpoint) for c in callbacks):
        options["enable_checkpointing"] = True
    trainer = L.Trainer(max_epochs=max_epochs, callbacks=list(callbacks), **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(module, loader(), loader(2, 2), ckpt_path=ckpt_path)
    return trainer


@check("fit-epochs")
def check_fit_epochs(row):
    expect(
        row.claim("keras", r"fit\(epochs={n}\)"),
        inspect.signature(keras.Model.fit).parameters["epochs"].default,
        "fit's default epochs",
    )
    thousand = row.claim("torch", r"{n} epochs when")

    class StopAtOnce(L.Callback):
        def on_train_start(self, trainer, pl_module):
            trainer.should_stop = True

    trainer = lightning_run(ScriptedModule(), max_epochs=None, callbacks=[StopAtOnce()])
    expect(thousand, trainer.max_epochs, "Trainer's max_epochs when neither limit is set")


@check("fit-batch-size")
def check_fit_batch_size(row):
    keras_size = row.claim("keras", r"batches of {n}")
    torch_size = row.claim("torch", r"batch_size={n}")
    mapped = int(row.claim("notes", r"batch_size={n}"))
    model = recorded_fit(validation_split=0.2)[0]
    sizes = [len(batch) for batch in model.trained[:3]]
    expect(keras_size, sizes[0], "the size of fit's first batch")
    expect(
        torch_size, DataLoader(TensorDataset(torch.zeros(5))).batch_size, "DataLoader's default batch_size"
    )
    train_samples = sum(sizes)
    assert [
        len(b[0]) for b in DataLoader(TensorDataset(torch.zeros(train_samples)), batch_size=mapped)
    ] == sizes


@check("fit-validation-split")
def check_fit_validation_split(row):
    fraction = float(row.given("keras", r"validation_split={n}\)"))
    percent = row.claim("keras", r"the last {n} %")
    one, notes_fraction = (float(v) for v in row.claim("notes", r"floor\(n·\({n} − {n}\)\)"))
    samples = 99
    model = recorded_fit(samples=samples, validation_split=fraction)[0]
    first_epoch = sorted(v for batch in model.trained[:3] for v in batch)
    n_train = math.floor(samples * (one - notes_fraction))
    assert first_epoch == list(range(n_train)), "fit trains on the first floor(n·(1 − f)) samples"
    assert model.validated[0] == list(range(n_train, samples)) == model.validated[1], (
        "the last ones, in order"
    )
    expect(percent, 100 * len(model.validated[0]) / samples, "the validation share in %")
    x, y = np.zeros((samples, 1)), np.arange(samples)
    assert keras_validation_split(x, y, fraction)[3].tolist() == model.validated[0]


@check("fit-shuffle")
def check_fit_shuffle(row):
    row.mentions("keras", "shuffle=True"), row.mentions("torch", "shuffle=True")
    assert inspect.signature(keras.Model.fit).parameters["shuffle"].default is True
    row.mentions("keras", "keras.utils.set_random_seed(s)"), row.mentions("torch", "L.seed_everything(s)")
    for seeded in (False, True):
        model = recorded_fit(samples=40, epochs=2, batch_size=40, seeded=seeded)[0]
        first, second = model.trained
        assert sorted(first) == sorted(second) == list(range(40)) and first != sorted(first)
        assert (first == second) is seeded, "a new order every epoch, unless a seed was set"
    data = TensorDataset(torch.arange(50.0))
    assert [b[0].tolist() for b in DataLoader(data, batch_size=50)] == [list(range(50))], (
        "in order by default"
    )
    L.seed_everything(0, verbose=False)
    shuffled = DataLoader(data, batch_size=50, shuffle=True)
    epochs = [next(iter(shuffled))[0].tolist() for _ in range(2)]
    assert epochs[0] != epochs[1] and sorted(epochs[0]) == list(range(50))


@check("fit-verbose")
def check_fit_verbose(row):
    silent = int(row.claim("keras", r"verbose={n}: silent"))
    assert inspect.signature(keras.Model.fit).parameters["verbose"].default == row.mentions("keras", "auto")
    assert recorded_fit(validation_split=0.2, verbose=silent)[2] == "", "verbose=0 prints nothing"
    assert "step" in recorded_fit(samples=8, epochs=1, verbose="auto")[2], (
        "verbose='auto' shows a progress bar"
    )
    row.mentions("torch", "enable_progress_bar=False"), row.mentions("notes", "enable_model_summary=False")
    quiet = {"logger": False, "enable_checkpointing": False}
    assert L.Trainer(**quiet).progress_bar_callback is not None
    assert L.Trainer(enable_progress_bar=False, **quiet).progress_bar_callback is None

    def has_summary(trainer):
        return any("ModelSummary" in type(callback).__name__ for callback in trainer.callbacks)

    assert has_summary(L.Trainer(**quiet)) and not has_summary(L.Trainer(enable_model_summary=False, **quiet))


@check("fit-steps-per-epoch")
def check_fit_steps_per_epoch(row):
    row.mentions("keras", "steps_per_epoch=k"), row.mentions("torch", "limit_train_batches=k")
    model, _, _, caught, per_epoch = recorded_fit(
        samples=10, epochs=3, batch_size=2, steps_per_epoch=2, shuffle=False
    )
    assert model.trained == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]], (
        "Keras continues the pass, then runs out"
    )
    assert per_epoch == [2, 2, 1] and any("ran out of data" in message for message in caught)
    module = ScriptedModule(val_losses=(1.0, 1.0, 1.0))
    lightning_run(module, max_epochs=3, limit_train_batches=2)
    assert module.trained == [(epoch, batch) for epoch in range(3) for batch in ([0, 1], [2, 3])]


@check("fit-validation-data")
def check_fit_validation_data(row):
    assert row.mentions("keras", "validation_data") in inspect.signature(keras.Model.fit).parameters
    parameters = inspect.signature(L.Trainer.fit).parameters
    for name in ("train_dataloaders", "val_dataloaders", "datamodule"):
        assert row.mentions("torch", f"{name}=") and name in parameters


@check("fit-validation-freq")
def check_fit_validation_freq(row):
    keras_default = inspect.signature(keras.Model.fit).parameters["validation_freq"].default
    lightning_default = inspect.signature(L.Trainer).parameters["check_val_every_n_epoch"].default
    expect(row.claim("keras", r"validation_freq={n}"), keras_default, "fit's validation_freq")
    expect(
        row.claim("torch", r"check_val_every_n_epoch={n}"),
        lightning_default,
        "Trainer's check_val_every_n_epoch",
    )


@check("fit-history")
def check_fit_history(row):
    (
        row.mentions("keras", 'history.history["val_loss"]'),
        row.mentions("torch", 'trainer.callback_metrics["val_loss"]'),
    )
    _, history, _, _, _ = recorded_fit(validation_split=0.2)
    assert isinstance(history, keras.callbacks.History) and len(history.history["val_loss"]) == 2
    module = ScriptedModule(val_losses=(3.0, 2.0, 5.0))
    trainer = lightning_run(module, max_epochs=3)
    assert trainer.callback_metrics["val_loss"].item() == 5.0, "the latest value only"


@check("fit-evaluate")
def check_fit_evaluate(row):
    for name in ("evaluate", "predict"):
        assert row.mentions("keras", f"model.{name}(") and callable(getattr(keras.Model, name))
    for name in ("validate", "test", "predict"):
        assert row.mentions("torch", f"trainer.{name}(")
        assert "dataloaders" in inspect.signature(getattr(L.Trainer, name)).parameters


@check("seeds")
def check_seeds(row):
    row.mentions("keras", "keras.utils.set_random_seed(s)"), row.mentions("torch", "L.seed_everything(s)")

    def keras_draw():
        keras.utils.set_random_seed(7)
        return np.asarray(keras.random.uniform((3,))), np.random.rand(), random.random()

    def torch_draw():
        L.seed_everything(7, verbose=False)
        return torch.rand(3).numpy(), np.random.rand(), random.random()

    first, again = keras_draw(), keras_draw()
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    torch_first, torch_again = torch_draw(), torch_draw()
    assert all(np.array_equal(a, b) for a, b in zip(torch_first, torch_again))
    assert not np.allclose(first[0], torch_first[0]), "the same seed, other numbers across frameworks"


# ---------------------------------------------------------------------------------------------
# Callbacks
# ---------------------------------------------------------------------------------------------
def compiled_keras_model(rate=1.0):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(rate), loss="mse")
    model.stop_training = False
    return model


def drive_keras_callback(callback, model, val_losses, on_epoch=None):
    """Calls ``callback`` as ``fit`` would, with ``val_losses`` as the epochs' validation losses;
    returns the epochs run. ``on_epoch(epoch)`` runs at the start of each epoch."""
    callback.set_model(model)
    callback.on_train_begin()
    epochs = 0
    for epoch, loss in enumerate(val_losses):
        if on_epoch is not None:
            on_epoch(epoch)
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"val_loss": float(loss)})
        epochs += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs


@check("early-stopping")
def check_early_stopping(row):
    row.mentions("keras", 'monitor="val_loss"'), row.mentions("torch", 'mode="min"')
    keras_patience, keras_delta = row.claim("keras", r"patience={n}, min_delta={n}")
    torch_patience, torch_delta = row.claim("torch", r"patience={n}, min_delta={n}")
    keras_default = keras.callbacks.EarlyStopping()
    assert keras_default.monitor == "val_loss"
    expect(keras_patience, keras_default.patience, "Keras EarlyStopping's patience")
    expect(keras_delta, keras_default.min_delta, "Keras EarlyStopping's min_delta")
    with pytest.raises(TypeError):
        EarlyStopping()  # the monitor is required
    lightning_default = EarlyStopping(monitor="val_loss")
    expect(torch_patience, lightning_default.patience, "Lightning EarlyStopping's patience")
    expect(torch_delta, abs(lightning_default.min_delta), "Lightning EarlyStopping's min_delta")
    assert lightning_default.mode == "min"
    losses = (5.0, 4.0, 3.6, 3.4, 3.2, 3.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    for patience, min_delta in ((2, 0.5), (1, 0.0), (3, 0.25)):
        keras_epochs = drive_keras_callback(
            keras.callbacks.EarlyStopping(patience=patience, min_delta=min_delta),
            compiled_keras_model(),
            losses,
        )
        trainer = lightning_run(
            ScriptedModule(val_losses=losses),
            max_epochs=len(losses),
            callbacks=[EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta)],
        )
        assert trainer.current_epoch == keras_epochs < len(losses), (patience, min_delta)


@check("restore-best-weights")
def check_restore_best_weights(row):
    top_k = int(row.claim("notes", r"save_top_k={n}\)"))
    row.mentions("notes", 'ckpt_path="best"'), row.mentions("notes", "best_model_path")
    losses = (3.0, 1.0, 2.0, 2.5)
    model = compiled_keras_model()

    def weights_of_epoch(epoch):
        model.set_weights([np.full((1, 1), epoch, np.float32), np.zeros(1, np.float32)])

    stopping = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    drive_keras_callback(stopping, model, losses, weights_of_epoch)
    assert model.get_weights()[0][0, 0] == 1.0, "Keras restores the best epoch's weights"
    with tempfile.TemporaryDirectory() as directory:
        checkpoint = ModelCheckpoint(dirpath=directory, monitor="val_loss", mode="min", save_top_k=top_k)
        module = ScriptedModule(val_losses=losses)
        lightning_run(module, max_epochs=len(losses), callbacks=[checkpoint])
        assert len(list(Path(directory).glob("*.ckpt"))) == top_k == 1
        best = ScriptedModule.load_from_checkpoint(checkpoint.best_model_path)
        assert best.weight.item() == pytest.approx(module.weights_after[1]), "the best epoch's weights"


@check("model-checkpoint")
def check_model_checkpoint(row):
    keras_first = int(row.claim("keras", r"counts from {n}"))
    top_k = int(row.claim("torch", r"save_top_k={n}\)"))
    lightning_first = int(row.claim("torch", r"counts from {n}"))
    assert keras.callbacks.ModelCheckpoint("m.keras").monitor == row.mentions("keras", "val_loss")
    losses = (3.0, 1.0, 2.0)
    with tempfile.TemporaryDirectory() as directory:
        callback = keras.callbacks.ModelCheckpoint(
            f"{directory}/m-{{epoch}}.weights.h5", save_best_only=True, save_weights_only=True
        )
        drive_keras_callback(callback, compiled_keras_model(), losses)
        improved = [0, 1]  # the epochs (from 0) that beat the best so far
        assert sorted(p.name for p in Path(directory).iterdir()) == [
            f"m-{e + keras_first}.weights.h5" for e in improved
        ]
    with tempfile.TemporaryDirectory() as directory:
        checkpoint = ModelCheckpoint(
            dirpath=directory, filename="m-{epoch}", monitor="val_loss", save_top_k=top_k
        )
        lightning_run(ScriptedModule(val_losses=losses), max_epochs=len(losses), callbacks=[checkpoint])
        best_epoch = 1  # counted from 0, like Keras' epochs above
        assert [p.name for p in Path(directory).glob("*.ckpt")] == [
            f"m-epoch={best_epoch + lightning_first}.ckpt"
        ]


@check("backup-and-restore")
def check_backup_and_restore(row):
    row.mentions("torch", 'ckpt_path="last"'), row.mentions("torch", "save_last=True")

    class CrashAfterSecondEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("crash")

    class FirstEpoch(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.iterations = int(self.model.optimizer.iterations.numpy())
            self.epochs = []

        def on_epoch_begin(self, epoch, logs=None):
            self.epochs.append(epoch)

    x = np.ones((4, 1), np.float32)
    with tempfile.TemporaryDirectory() as directory:
        model = compiled_keras_model(0.01)
        with pytest.raises(RuntimeError):
            model.fit(
                x,
                x,
                batch_size=2,
                epochs=4,
                verbose=0,
                callbacks=[keras.callbacks.BackupAndRestore(directory), CrashAfterSecondEpoch()],
            )
        resumed, rerun = FirstEpoch(), compiled_keras_model(0.01)
        rerun.fit(
            x,
            x,
            batch_size=2,
            epochs=4,
            verbose=0,
            callbacks=[keras.callbacks.BackupAndRestore(directory), resumed],
        )
        assert resumed.epochs == [2, 3], "Keras resumes after the last finished epoch"
    with tempfile.TemporaryDirectory() as directory:
        lightning_run(
            ScriptedModule(val_losses=(1.0,) * 4),
            max_epochs=2,
            callbacks=[ModelCheckpoint(dirpath=directory, save_last=True)],
        )
        module = ScriptedModule(val_losses=(1.0,) * 4)
        trainer = lightning_run(
            module,
            max_epochs=4,
            callbacks=[ModelCheckpoint(dirpath=directory, save_last=True)],
            ckpt_path="last",
        )
        assert sorted({epoch for epoch, _ in module.trained}) == [2, 3] and trainer.global_step == 4 * 3
        assert torch.load(Path(directory) / "last.ckpt", weights_only=True)["optimizer_states"]
    assert resumed.iterations == 2 * 2, "Keras' optimizer state came back (its step counter)"


def keras_plateau_rates(losses, **options):
    model = compiled_keras_model()
    rates = []
    drive_keras_callback(
        keras.callbacks.ReduceLROnPlateau(**options),
        model,
        losses,
        on_epoch=lambda epoch: rates.append(learning_rate(model.optimizer)),
    )
    return rates


def lightning_plateau_rates(losses, **options):
    module = ScriptedModule(val_losses=losses, learning_rate=1.0)
    module.scheduler_factory = lambda optimizer: torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, **options
    )
    lightning_run(module, max_epochs=len(losses))
    return module.rates


@check("reduce-lr-on-plateau")
def check_reduce_lr_on_plateau(row):
    keras_values = row.claim(
        "keras", r"factor={n}, patience={n}, min_delta={n} \(absolute\), cooldown={n}, min_lr={n}"
    )
    torch_values = row.claim(
        "torch", r"factor={n}, patience={n}, threshold={n} \(relative\), cooldown={n}, min_lr={n}"
    )
    torch_extra = float(row.claim("notes", r"torch after patience \+ {n}"))
    patience_offset = int(row.claim("notes", r"patience=p − {n}"))
    row.mentions("torch", '"monitor": "val_loss"'), row.mentions("notes", 'threshold_mode="abs"')
    keras_default = keras.callbacks.ReduceLROnPlateau()
    for stated, name in zip(keras_values, ("factor", "patience", "min_delta", "cooldown", "min_lr")):
        expect(stated, abs(getattr(keras_default, name)), f"Keras ReduceLROnPlateau's {name}")
    torch_default = torch.optim.lr_scheduler.ReduceLROnPlateau(
        torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    )
    assert torch_default.threshold_mode == "rel"
    torch_min_lr = torch_default.min_lrs[0]
    for stated, value, name in zip(
        torch_values,
        (
            torch_default.factor,
            torch_default.patience,
            torch_default.threshold,
            torch_default.cooldown,
            torch_min_lr,
        ),
        ("factor", "patience", "threshold", "cooldown", "min_lr"),
    ):
        expect(stated, value, f"torch ReduceLROnPlateau's {name}")
    losses = (10.0, 9.4, 9.0, 8.4, 8.3, 8.2, 8.1, 8.0, 7.9, 7.8)
    for patience in (1, 2, 3):
        keras_rates = keras_plateau_rates(losses, patience=patience, factor=0.5, min_delta=0.5)
        torch_rates = lightning_plateau_rates(
            losses, patience=patience - patience_offset, factor=0.5, threshold=0.5, threshold_mode="abs"
        )
        assert torch_rates == pytest.approx(keras_rates), (patience, keras_rates, torch_rates)
    flat = (1.0,) + (2.0,) * 7
    keras_first_cut = keras_plateau_rates(flat, patience=2, factor=0.5).index(0.5)
    torch_first_cut = lightning_plateau_rates(flat, patience=2, factor=0.5).index(0.5)
    assert torch_first_cut - keras_first_cut == torch_extra, "torch waits one more epoch"


@check("learning-rate-scheduler")
def check_learning_rate_scheduler(row):
    keras_start, keras_factor = (
        float(v) for v in row.given("keras", r"lambda epoch, lr: {n} \* {n}\*\*epoch")
    )
    torch_start = float(row.claim("torch", r"SGD\(params, lr={n}\)"))
    torch_factor = float(row.claim("torch", r"lambda epoch: {n}\*\*epoch"))
    row.mentions("torch", '"interval": "epoch"')
    model, keras_rates = compiled_keras_model(), []
    callback = keras.callbacks.LearningRateScheduler(lambda epoch, lr: keras_start * keras_factor**epoch)
    callback.set_model(model)
    for epoch in range(4):  # as fit calls it
        callback.on_epoch_begin(epoch)
        keras_rates.append(learning_rate(model.optimizer))
    module = ScriptedModule(val_losses=(1.0,) * 4, learning_rate=torch_start)
    module.scheduler_factory = lambda optimizer: torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda epoch: torch_factor**epoch
    )
    lightning_run(module, max_epochs=4)
    assert module.rates == pytest.approx(keras_rates, rel=1e-6)


@check("csv-logger")
def check_csv_logger(row):
    path = row.mentions("torch", "logs/lightning_logs/version_0/metrics.csv")
    with tempfile.TemporaryDirectory() as directory:
        callback = keras.callbacks.CSVLogger(f"{directory}/log.csv")
        drive_keras_callback(callback, compiled_keras_model(), (2.0, 1.0))
        lines = Path(directory, "log.csv").read_text().splitlines()
        assert lines[0].startswith("epoch") and len(lines) == 1 + 2, "a header and one row per epoch"
        lightning_run(
            ScriptedModule(val_losses=(2.0, 1.0)), max_epochs=2, logger=CSVLogger(f"{directory}/logs")
        )
        assert (Path(directory) / path).is_file()


@check("tensorboard")
def check_tensorboard(row):
    row.mentions("keras", 'TensorBoard(log_dir="logs")'), row.mentions("torch", "tensorboard")
    assert "log_dir" in inspect.signature(keras.callbacks.TensorBoard).parameters
    from lightning.pytorch.loggers import TensorBoardLogger

    try:
        import tensorboard  # noqa: F401

        available = True
    except ImportError:
        try:
            import tensorboardX  # noqa: F401

            available = True
        except ImportError:
            available = False
    with tempfile.TemporaryDirectory() as directory:
        if available:
            assert TensorBoardLogger(directory).log_dir.endswith("version_0")
        else:
            with pytest.raises(ModuleNotFoundError, match="tensorboard"):
                TensorBoardLogger(directory)


# ---------------------------------------------------------------------------------------------
# Data pipelines
# ---------------------------------------------------------------------------------------------
@check("numpy-arrays")
def check_numpy_arrays(row):
    assert keras.config.floatx() == row.mentions("keras", "float32")
    x = rng(40).standard_normal((3, 2))
    assert x.dtype == np.float64 and dtype_name(keras.layers.Dense(1)(x)) == "float32"
    linear = nn.Linear(2, 1)
    assert torch.from_numpy(x).dtype == torch.float64
    with pytest.raises(RuntimeError):
        linear(torch.from_numpy(x))
    assert linear(torch.from_numpy(x.astype(np.float32))).dtype == torch.float32


@check("tf-data")
def check_tf_data(row):
    keras_batch = int(row.given("keras", r"\.batch\({n}\)"))
    torch_batch = int(row.claim("torch", r"batch_size={n}"))
    model, _, _, caught, _ = recorded_fit(samples=40, epochs=2, data="dataset", batch_size=4, shuffle=True)
    assert [len(b) for b in model.trained] == [keras_batch, 40 - keras_batch] * 2, "fit ignores batch_size"
    assert model.trained[0] + model.trained[1] == list(range(40)) == model.trained[2] + model.trained[3], (
        "and shuffle"
    )
    assert any("shuffle" in message for message in caught)
    data = TensorDataset(torch.arange(40.0))
    keras_sizes = [len(b) for b in model.trained[:2]]
    assert [len(b[0]) for b in DataLoader(data, batch_size=torch_batch, shuffle=True)] == keras_sizes


@check("py-dataset")
def check_py_dataset(row):
    row.mentions("keras", "keras.utils.PyDataset"), row.mentions("torch", "torch.utils.data.Dataset")
    row.mentions("keras", "shuffle=True")
    in_order = [list(range(4 * i, 4 * i + 4)) for i in range(len(CountingBatches()))]
    model, _, _, _, per_epoch = recorded_fit(epochs=1, data="py_dataset", shuffle=False)
    assert per_epoch == [len(CountingBatches())] and model.trained == in_order
    shuffled = recorded_fit(epochs=1, data="py_dataset")[0].trained
    assert shuffled != in_order and sorted(shuffled) == in_order, "fit shuffles the batches"

    class Samples(Dataset):
        def __len__(self):
            return 4 * len(CountingBatches())

        def __getitem__(self, index):
            return torch.tensor(float(index))

    assert [b.int().tolist() for b in DataLoader(Samples(), batch_size=4)] == model.trained


@check("image-layout")
def check_image_layout(row):
    assert keras.config.image_data_format() == row.mentions("keras", "channels_last")
    to_torch = [int(v) for v in row.claim("notes", r"x\.permute\({n}, {n}, {n}, {n}\) to torch")]
    back = [int(v) for v in row.claim("notes", r"permute\({n}, {n}, {n}, {n}\) back")]
    x = rng(41).standard_normal((2, 5, 4, 3)).astype(np.float32)
    assert torch.equal(as_tensor(x).permute(*to_torch), to_torch_layout(x))
    layer = keras.layers.Conv2D(2, 3, padding="same")
    layer(x)
    kernel, bias = randomize(layer, rng(42))
    conv = nn.Conv2d(3, 2, 3, padding=1)
    set_parameter(conv.weight, as_tensor(kernel).permute(3, 2, 0, 1)), set_parameter(conv.bias, bias)
    torch_output = conv(as_tensor(x).permute(*to_torch))
    assert close(torch_output.detach().permute(*back), layer(x)) and close(
        to_keras_layout(torch_output), layer(x)
    )


@check("image-folder")
def check_image_folder(row):
    from PIL import Image

    row.mentions("keras", "alphabetical"), row.mentions("torch", "ImageFolder(root)")
    with tempfile.TemporaryDirectory() as root:
        for name in ("dogs", "cats", "birds"):
            Path(root, name).mkdir()
            Image.new("RGB", (4, 4), (len(name) * 20, 0, 0)).save(Path(root, name, "a.png"))
        keras_data = keras.utils.image_dataset_from_directory(
            root, image_size=(4, 4), batch_size=8, shuffle=False, verbose=False
        )
        keras_labels = np.concatenate([labels.numpy() for _, labels in keras_data]).tolist()
        folder = torchvision.datasets.ImageFolder(root)
        assert keras_data.class_names == folder.classes == ["birds", "cats", "dogs"]
        assert keras_labels == [label for _, label in folder.samples] == [0, 1, 2]


# ---------------------------------------------------------------------------------------------
# Saving and loading
# ---------------------------------------------------------------------------------------------
def trained_keras_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32))
    return model


@check("save-model")
def check_save_model(row):
    (
        row.mentions("keras", 'model.save("m.keras")'),
        row.mentions("torch", 'torch.save(model.state_dict(), "m.pt")'),
    )
    x = rng(43).standard_normal((2, 3)).astype(np.float32)
    with tempfile.TemporaryDirectory() as directory:
        model = trained_keras_model()
        model.save(f"{directory}/m.keras")
        loaded = keras.saving.load_model(f"{directory}/m.keras")
        assert close(loaded(x), model(x), atol=0) and int(loaded.optimizer.iterations.numpy()) == 1
        linear = nn.Linear(3, 2)
        torch.save(linear.state_dict(), f"{directory}/m.pt")
        saved = torch.load(f"{directory}/m.pt")
        assert set(saved) == {"weight", "bias"} and all(isinstance(v, torch.Tensor) for v in saved.values())
        rebuilt = nn.Linear(3, 2)
        rebuilt.load_state_dict(saved)
        assert torch.equal(rebuilt(as_tensor(x)), linear(as_tensor(x)))


@check("save-weights")
def check_save_weights(row):
    suffix = row.mentions("keras", ".weights.h5")
    with tempfile.TemporaryDirectory() as directory:
        model = trained_keras_model()
        with pytest.raises(ValueError, match=suffix.replace(".", r"\.")):
            model.save_weights(f"{directory}/m.h5")
        model.save_weights(f"{directory}/m{suffix}")
        other = trained_keras_model()
        other.load_weights(f"{directory}/m{suffix}")
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), other.get_weights()))
    linear, other_linear = nn.Linear(3, 2), nn.Linear(3, 2)
    other_linear.load_state_dict(linear.state_dict())
    assert torch.equal(other_linear.weight, linear.weight)


@check("lightning-checkpoint")
def check_lightning_checkpoint(row):
    keys = ("state_dict", "optimizer_states", "hyper_parameters", "epoch")
    for key in keys:
        row.mentions("torch", key)
    row.mentions("torch", "loop and callback states")
    with tempfile.TemporaryDirectory() as directory:
        module = ScriptedModule(val_losses=(2.0, 1.0), learning_rate=0.3)
        trainer = lightning_run(module, max_epochs=2)
        trainer.save_checkpoint(f"{directory}/m.ckpt")
        saved = torch.load(f"{directory}/m.ckpt", weights_only=True)
        assert (
            set(keys) | {"loops", "callbacks"} <= set(saved) and saved["epoch"] == 2 == trainer.current_epoch
        )
        loaded = ScriptedModule.load_from_checkpoint(f"{directory}/m.ckpt")
        assert loaded.hparams.learning_rate == 0.3 and loaded.weight.item() == module.weight.item()
        trained_keras_model().save(f"{directory}/m.keras")
        with zipfile.ZipFile(f"{directory}/m.keras") as archive:
            texts = [archive.read(name).decode() for name in archive.namelist() if name.endswith(".json")]
        assert texts and not any("epoch" in text for text in texts), "no epoch counter in a .keras file"
        assert json.loads(texts[0])


@check("safe-loading")
def check_safe_loading(row):
    row.mentions("keras", "safe_mode=True"), row.mentions("torch", "weights_only=True")
    assert inspect.signature(keras.saving.load_model).parameters["safe_mode"].default is True
    with tempfile.TemporaryDirectory() as directory:
        model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])
        model.save(f"{directory}/lambda.keras")
        with pytest.raises(ValueError, match="Lambda"):
            keras.saving.load_model(f"{directory}/lambda.keras")
        torch.save({"weights": torch.zeros(2), "object": BatchRecorder}, f"{directory}/object.pt")
        with pytest.raises(Exception, match=r"[Ww]eights only load failed"):
            torch.load(f"{directory}/object.pt")
        trainer = lightning_run(ScriptedModule(), max_epochs=1)
        trainer.save_checkpoint(f"{directory}/m.ckpt")
        assert "state_dict" in torch.load(f"{directory}/m.ckpt")


# ---------------------------------------------------------------------------------------------
# Several GPUs and machines (constructed on the CPU: nothing is launched)
# ---------------------------------------------------------------------------------------------
def ddp_trainer(**options):
    from lightning.pytorch.strategies import DDPStrategy

    trainer = L.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, **options)
    assert isinstance(trainer.strategy, DDPStrategy)
    return trainer


@check("ddp")
def check_ddp(row):
    devices = int(row.given("torch", r"devices={n}, strategy"))
    row.mentions("torch", 'strategy="ddp"')
    trainer = ddp_trainer(devices=devices, strategy="ddp")
    assert trainer.num_devices == devices and trainer.world_size == devices, "one process per device"
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.weights[0].value, tf.distribute.DistributedValues), "mirrored variables"


@check("ddp-nodes")
def check_ddp_nodes(row):
    nodes, devices = (int(v) for v in row.given("torch", r"num_nodes={n}, devices={n}"))
    processes = row.claim("torch", r"{n} processes")
    trainer = ddp_trainer(num_nodes=nodes, devices=devices, strategy="ddp")
    expect(processes, trainer.world_size, "Lightning's world size")
    assert row.mentions("keras", "MultiWorkerMirroredStrategy") and hasattr(
        tf.distribute, "MultiWorkerMirroredStrategy"
    )


@check("global-batch")
def check_global_batch(row):
    replicas, global_size = (int(v) for v in row.given("keras", r"on {n} GPUs a batch of {n}"))
    per_replica = row.claim("keras", r"becomes {n} per replica")
    per_process, processes = (int(v) for v in row.given("torch", r"batch_size={n} on {n} devices"))
    torch_global = row.claim("torch", r"global batches of {n}")
    context = tf.distribute.InputContext(
        num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=replicas
    )
    expect(
        per_replica, context.get_per_replica_batch_size(global_size), "TensorFlow's per-replica batch size"
    )
    data = TensorDataset(torch.arange(256.0))
    firsts = [
        next(
            iter(
                DataLoader(
                    data,
                    batch_size=per_process,
                    sampler=DistributedSampler(data, num_replicas=processes, rank=rank, shuffle=False),
                )
            )
        )[0]
        for rank in range(processes)
    ]
    assert len(set(torch.cat(firsts).tolist())) == sum(len(b) for b in firsts), "disjoint shards"
    expect(torch_global, sum(len(b) for b in firsts), "the samples of one step over all processes")
    assert inspect.signature(L.Trainer).parameters["use_distributed_sampler"].default is True
    order = BatchOrder(num_samples=128, batch_size=global_size, shuffle=False)
    shards = [next(iter(EpochBatchSampler(order, rank, replicas))) for rank in range(replicas)]
    assert torch.cat(shards).tolist() == order.batches(0)[0].tolist(), "this project: one global batch, split"


@check("sync-batchnorm")
def check_sync_batchnorm(row):
    row.mentions("torch", "sync_batchnorm=True")
    assert keras.layers.BatchNormalization(synchronized=True).synchronized is True
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)))
    assert isinstance(converted[1], nn.SyncBatchNorm)
    assert "sync_batchnorm" in inspect.signature(L.Trainer).parameters


@check("sync-dist")
def check_sync_dist(row):
    row.mentions("keras", "sync-on-read"), row.mentions("keras", "summed")
    with tf.distribute.MirroredStrategy().scope():
        metric = keras.metrics.Mean()
    total = metric.variables[0]
    assert isinstance(total.value, tf.distribute.DistributedValues) and total.aggregation == "sum"
    assert type(total.value).__name__ == "SyncOnReadVariable"
    row.mentions("torch", "sync_dist=True"), row.mentions("torch", "sync_dist=False")
    assert inspect.signature(L.LightningModule.log).parameters["sync_dist"].default is False


# ---------------------------------------------------------------------------------------------
# Mixed precision
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def keras_policy(name):
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def lightning_precision(precision):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = L.Trainer(accelerator="cpu", precision=precision, logger=False, enable_checkpointing=False)
    return trainer, [str(w.message) for w in caught]


@check("mixed-float16")
def check_mixed_float16(row):
    from lightning.pytorch.plugins.precision import MixedPrecision

    policy = keras.DTypePolicy(row.mentions("keras", "mixed_float16"))
    assert (policy.compute_dtype, policy.variable_dtype) == ("float16", "float32")
    with keras_policy("mixed_float16"):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no CUDA here: the scaler is built, then disabled
        assert isinstance(
            MixedPrecision(row.mentions("torch", "16-mixed"), "cuda").scaler, torch.amp.GradScaler
        )
    with torch.autocast("cpu", dtype=torch.float16):
        linear = nn.Linear(3, 2)
        assert linear(torch.ones(1, 3)).dtype == torch.float16 and linear.weight.dtype == torch.float32
    trainer, messages = lightning_precision("16-mixed")
    assert trainer.precision == row.mentions("notes", "bf16-mixed") and any(
        "bf16-mixed" in m for m in messages
    )


@check("mixed-bfloat16")
def check_mixed_bfloat16(row):
    layer = keras.layers.Dense(2, dtype=row.mentions("keras", "mixed_bfloat16"))
    assert dtype_name(layer(np.ones((1, 3), np.float32))) == "bfloat16" and layer.kernel.dtype == "float32"
    with keras_policy("mixed_bfloat16"):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    assert not isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    trainer, _ = lightning_precision(row.mentions("torch", "bf16-mixed"))
    assert trainer.precision == "bf16-mixed" and getattr(trainer.precision_plugin, "scaler", None) is None
    with torch.autocast("cpu", dtype=torch.bfloat16):
        linear = nn.Linear(3, 2)
        assert linear(torch.ones(1, 3)).dtype == torch.bfloat16 and linear.weight.dtype == torch.float32


@check("precision-output")
def check_precision_output(row):
    row.mentions("keras", 'Activation("softmax", dtype="float32")'), row.mentions("torch", "F.cross_entropy")
    low = keras.ops.cast(np.ones((1, 3), np.float32), "bfloat16")
    assert dtype_name(keras.layers.Activation("softmax", dtype="float32")(low)) == "float32"
    assert dtype_name(keras.layers.Activation("softmax", dtype="mixed_bfloat16")(low)) == "bfloat16"
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = nn.Linear(3, 4)(torch.ones(2, 3))
        assert logits.dtype == torch.bfloat16
        assert F.cross_entropy(logits, torch.tensor([0, 1])).dtype == torch.float32


@check("tf32")
def check_tf32(row):
    row.mentions("torch", "torch.backends.cuda.matmul.allow_tf32 is False")
    row.mentions("torch", "torch.backends.cudnn.allow_tf32 is True")
    assert tf.config.experimental.tensor_float_32_execution_enabled() is True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.backends.cuda.matmul.allow_tf32 is False and torch.backends.cudnn.allow_tf32 is True
    switch = row.mentions("notes", "tf.config.experimental.enable_tensor_float_32_execution(False)")
    assert switch.startswith("tf.config.experimental.")
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        assert tf.config.experimental.tensor_float_32_execution_enabled() is False
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(True)


# ---------------------------------------------------------------------------------------------
# The tests: every row checked, every stated number able to fail its check, ids and references tied
# ---------------------------------------------------------------------------------------------
def guide_rows(text=None) -> list[Row]:
    return read_guide(GUIDE.read_text(encoding="utf-8") if text is None else text)


def row_by_check(rows, check_id) -> Row:
    return next(row for row in rows if row.check == check_id)


ROW_IDS = [row.check for row in guide_rows() if row.check]


@pytest.mark.parametrize("check_id", ROW_IDS)
def test_guide_row(check_id):
    """The row's check passes, reads every number of the row, and fails whenever one stated number changes."""
    row = row_by_check(guide_rows(), check_id)
    CHECKS[check_id](row)
    assert not row.unread(), (
        f"row `{check_id}` (line {row.line}) states numbers its check never reads: {row.unread()}"
    )
    for description, mutated in row.mutations():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a wrong number may well provoke warnings too
                CHECKS[check_id](mutated)
        except Exception:
            continue
        pytest.fail(f"row `{check_id}`: after changing {description} the check still passes")


def test_every_row_is_checked_and_every_row_with_a_number_by_its_own_check():
    rows = guide_rows()
    assert len(rows) >= 60
    unchecked = [row for row in rows if not row.check and not row.references]
    assert not unchecked, f"rows without a check: {unchecked}"
    digits_without_check = [
        row
        for row in rows
        if not row.check
        and (row.has_digit() or any(character.isdigit() for cell in row.raw_cells for character in cell))
    ]
    assert not digits_without_check, f"rows with a digit need their own check id: {digits_without_check}"


def test_check_ids_are_unique_and_each_has_exactly_one_check_function():
    assert len(ROW_IDS) == len(set(ROW_IDS)), "a check id is used twice in the guide"
    assert set(ROW_IDS) - set(CHECKS) == set(), "check ids of the guide without a check function"
    assert set(CHECKS) - set(ROW_IDS) == set(), "check functions without a row in the guide"


def test_every_referenced_test_exists():
    references = {reference for row in guide_rows() for reference in row.references}
    assert references, "the guide references tests elsewhere in parity_tests/"
    for reference in references:
        file_name, function = reference.split("::")
        path = TESTS / file_name
        assert path.is_file(), f"{reference}: no file {path}"
        names = {
            node.name
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef)
        }
        assert function in names, f"{reference}: no test function {function} in {file_name}"


def test_editing_a_number_in_a_copy_of_the_guide_fails_its_check():
    text = GUIDE.read_text(encoding="utf-8")
    original = row_by_check(guide_rows(text), "batchnorm")
    CHECKS["batchnorm"](original)  # passes as written
    assert text.count("`momentum=0.99`") == 1
    edited = row_by_check(guide_rows(text.replace("`momentum=0.99`", "`momentum=0.9`")), "batchnorm")
    with pytest.raises(AssertionError, match=r"the guide states 0\.9, but BatchNormalization"):
        CHECKS["batchnorm"](edited)


def test_a_number_added_to_a_row_is_caught_as_unread():
    text = GUIDE.read_text(encoding="utf-8")
    anchor = "Lightning switches modes itself"
    assert text.count(anchor) == 1
    row = row_by_check(guide_rows(text.replace(anchor, anchor + " (about 3 times per epoch)")), "dropout")
    CHECKS["dropout"](row)
    assert row.unread() == [("notes", "3")]


DAY_ONE = {
    "sequential": "Sequential",
    "compile": "compile",
    "accuracy-average": "metrics=",
    "model-summary": "summary()",
    "fit-basics": "model.fit(",
    "epoch-metrics": "history",
    "evaluate-test": "evaluate(",
    "predict": "predict(",
    "training-mode": "training=False",
}


def test_the_day_one_section_covers_the_courses_first_steps():
    """Issue 15: the basics a participant meets first each have their row (and so their check)."""
    rows = [row for row in guide_rows() if row.section.startswith("Day 1")]
    assert {row.check for row in rows} == set(DAY_ONE)
    for row in rows:
        assert DAY_ONE[row.check] in row.text("keras"), f"row `{row.check}` is about {DAY_ONE[row.check]}"
    assert guide_rows()[0].section.startswith("Day 1"), "the guide opens with them"


def test_the_stated_versions_are_the_installed_ones():
    """The guide's checks ran against these versions: its opening line must name them."""
    stated = re.search(
        r"Keras (\d+\.\d+) on TensorFlow (\d+\.\d+), torch (\d+\.\d+), Lightning (\d+\.\d+)\.",
        GUIDE.read_text(encoding="utf-8"),
    )
    assert stated, "the guide names the versions it was checked with"
    installed = [".".join(module.__version__.split(".")[:2]) for module in (keras, tf, torch, L)]
    assert list(stated.groups()) == installed


def test_the_table_reader():
    assert split_cells("| `a` | b \\| c | `x[:, -1]` |") == ["`a`", "b | c", "`x[:, -1]`"]
    cells = ['`Conv2D(f, 3)` float32 h5 `"16-mixed"` 1e-7', "N(0, 1) U(±0.05)", "l0 2n"]
    row = Row("s", 1, cells, "`demo` `test_x.py::test_y`")
    assert row.check == "demo" and row.references == ["test_x.py::test_y"]
    assert [token for _, token in row.unread()] == ["3", "1e-7", "0", "1", "0.05", "2"]
    assert row.claim("keras", r"Conv2D\(f, {n}\)") == 3.0 and row.given("torch", r"N\({n}, {n}\)") == (
        0.0,
        1.0,
    )
    assert [token for _, token in row.unread()] == ["1e-7", "0.05", "2"]
    with pytest.raises(GuideError, match="matches 0 times"):
        row.claim("notes", r"absent {n}")
    assert agrees(Stated("16.12"), 16.118) and not agrees(Stated("16.13"), 16.118)
    assert agrees(Stated("1e-7"), 1.0000000116860974e-07) and not agrees(Stated("2e-7"), 1e-7)
    assert [mutate(t) for t in ("0.99", "1e-7", "1000", "9", "0")] == ["0.98", "2e-7", "1001", "8", "1"]
    ((description, mutated),) = row.mutations()
    assert description == "keras: 3 -> 4" and mutated.raw_cells[0].startswith("`Conv2D(f, 4)`")
    with pytest.raises(GuideError, match="columns must be"):
        read_guide("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert COLUMNS == ("keras", "torch", "notes")
