"""Thin torch adapter: ``DataLoader``s that slice whole batches out of in-memory tensors.

The numpy core keeps images channels-last (N, H, W, C), Keras' layout; this adapter is the one
place where they become torch's channels-first (N, C, H, W): ``to_torch_layout``. Outputs go
back with ``to_keras_layout`` for comparisons. Other ranks (tables, sequences) are the same in both.

One ``__getitem__`` per batch (not per sample + collate): the sampler yields the index array
of a batch, the dataset slices all tensors with it. The sampler follows ``BatchOrder``, and
Lightning calls its ``set_epoch`` at every epoch start, so epoch k uses the same batches as
the Keras adapter's epoch k.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .core import BatchOrder


def to_torch_layout(array) -> torch.Tensor:
    """numpy (N, H, W, C) -> tensor (N, C, H, W); other ranks unchanged (a tensor either way)."""
    tensor = torch.from_numpy(np.ascontiguousarray(array)) if isinstance(array, np.ndarray) else array
    return tensor.permute(0, 3, 1, 2).contiguous() if tensor.ndim == 4 else tensor


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
    """Yields the index tensors of ``order.batches(epoch)``; Lightning sets the epoch."""

    def __init__(self, order: BatchOrder):
        self.order = order
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        for indices in self.order.batches(self.epoch):
            yield torch.from_numpy(indices)

    def __len__(self) -> int:
        return self.order.num_batches


def batch_loader(x: np.ndarray, y: np.ndarray, order: BatchOrder) -> DataLoader:
    """A ``DataLoader`` over ``(x, y)`` whose batches follow ``order``."""
    return DataLoader(TensorBatches(x, y), sampler=EpochBatchSampler(order), batch_size=None)
