"""Thin torch adapter: ``DataLoader``s that slice whole batches out of in-memory tensors.

The numpy core keeps images channels-last (N, H, W, C), Keras' layout; this adapter is the one
place where they become torch's channels-first (N, C, H, W): ``to_torch_layout``, a permuted
view without a copy — torch's ``channels_last`` memory format, the one its CPU convolutions run
fastest in (the twins' conv layers are switched to it by ``fit_lightning``). Outputs go
back with ``to_keras_layout`` for comparisons. Other ranks (tables, sequences) are the same in both.

One ``__getitem__`` per batch (not per sample + collate): the sampler yields the index array
of a batch, the dataset slices all tensors with it. The sampler follows ``BatchOrder``, and
Lightning calls its ``set_epoch`` at every epoch start, so epoch k uses the same batches as
the Keras adapter's epoch k.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

import numpy as np

from .core import BatchOrder


def to_torch_layout(array) -> torch.Tensor:
    """numpy (N, H, W, C) -> tensor (N, C, H, W) in ``torch.channels_last`` memory format (the
    numpy memory as it is, viewed); other ranks unchanged (a tensor either way)."""
    tensor = torch.from_numpy(np.ascontiguousarray(array)) if isinstance(array, np.ndarray) else array
    return tensor.permute(0, 3, 1, 2) if tensor.ndim == 4 else tensor


def to_keras_layout(tensor: torch.Tensor) -> np.ndarray:
    """tensor (N, C, H, W) -> numpy (N, H, W, C); other ranks unchanged."""
    tensor = tensor.detach().cpu()
    return (tensor.permute(0, 2, 3, 1) if tensor.ndim == 4 else tensor).numpy()


class TensorBatches(Dataset):
    """Tensors indexed by an index array: ``dataset[indices] -> (x[indices], y[indices])``."""

    def __init__(self, *arrays: np.ndarray):
        self.tensors = [to_torch_layout(a) for a in arrays]

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __getitem__(self, indices):
        return tuple(tensor[indices] for tensor in self.tensors)


class EpochBatchSampler(Sampler):
    """Yields the index tensors of ``order.batches(epoch)``; Lightning sets the epoch.

    With several processes (DDP), each global batch is split into ``world_size`` near-equal
    shards and process ``rank`` gets its shard: together the processes train on exactly the
    global batches of a single-process run, and DDP's gradient average is the global batch's
    mean gradient (exact when the shards have equal sizes). A last batch smaller than
    ``world_size`` is topped up by repeating its indices, so no process gets an empty batch.
    """

    def __init__(self, order: BatchOrder, rank: int = 0, world_size: int = 1):
        self.order, self.rank, self.world_size = order, rank, world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        for indices in self.order.batches(self.epoch):
            if self.world_size > 1:
                indices = np.resize(indices, max(len(indices), self.world_size))
                indices = np.array_split(indices, self.world_size)[self.rank]
            yield torch.from_numpy(indices)

    def __len__(self) -> int:
        return self.order.num_batches


class TransformedBatches(Dataset):
    """numpy arrays indexed by ``(epoch, indices)``: ``transform(x[indices], indices, epoch)`` in torch
    layout, and ``y[indices]`` (augmentation drawn in numpy, identical to the Keras adapter's)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, transform):
        self.x, self.y, self.transform = x, y, transform

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, key):
        epoch, indices = key
        indices = indices.numpy()
        x = to_torch_layout(self.transform(self.x[indices], indices, epoch))
        return x, torch.from_numpy(self.y[indices])


class EpochKeyedBatchSampler(EpochBatchSampler):
    """Yields ``(epoch, index tensor)``, for datasets whose samples depend on the epoch."""

    def __iter__(self):
        for indices in super().__iter__():
            yield self.epoch, indices


def batch_loader(
    x: np.ndarray, y: np.ndarray, order: BatchOrder, rank: int = 0, world_size: int = 1, transform=None
) -> DataLoader:
    """A ``DataLoader`` over ``(x, y)`` whose batches follow ``order`` (this process's shards);
    ``transform(x_batch, indices, epoch)`` (training augmentation) is applied to each batch when given."""
    if transform is not None:
        sampler = EpochKeyedBatchSampler(order, rank, world_size)
        return DataLoader(TransformedBatches(x, y, transform), sampler=sampler, batch_size=None)
    return DataLoader(
        TensorBatches(x, y), sampler=EpochBatchSampler(order, rank, world_size), batch_size=None
    )
