"""IMDB movie reviews (Day 2): text → token ids with one vocabulary, built once, read by both twins.

Vectorisation, like the course's ``TextVectorization(max_tokens=1000)``: lower-case, strip
punctuation, split on whitespace; the vocabulary holds the ``max_tokens − 2`` most frequent
training tokens (ties: alphabetical) after 0 = padding and 1 = unknown. Each split is a matrix
of ids, right-padded with 0 to its longest review (or truncated at ``max_length``): both twins
consume these very arrays, Keras masking the zeros (``mask_zero=True``), torch packing them.

Sources (chosen by name, ``--data.source``):
- ``synthetic`` (offline, chosen explicitly): a generated corpus of short reviews whose label follows their
  positive and negative words, with mixed lengths, capitals and punctuation; labelled "synthetic".
- ``download`` (the default): the Stanford ``aclImdb_v1.tar.gz`` (25,000 train + 25,000 test reviews):
  the cache's or Keras' copy (the archive, or its extracted ``aclImdb/``, see ``keras_places``),
  else downloaded into the cache and verified by torchtext's published md5
  (``datamodules/download.py``; ``$TWINS_DATA_MIRROR`` names a mirror). An extracted folder is
  checked by content (12,500 reviews in each of train/test × pos/neg). Validation = the last
  20 % of train (Keras' ``validation_split``), after a seeded shuffle of the training reviews.
Twins: ``imdb_bilstm``, ``imdb_bilstm_stacked``.
"""

from __future__ import annotations

import re
import string
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
from jsonargparse.typing import NonNegativeInt, PositiveInt

from .base import ArrayDataModule
from .core import ArraySplits, ClosedOpenUnitInterval, keras_validation_split, regression_target
from .download import ContentError, FileSet, Place, RemoteFile, fetch, keras_datasets_dir
from .errors import DataError

PADDING, UNKNOWN = 0, 1
_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")

ARCHIVE = "aclImdb_v1.tar.gz"
ARCHIVE_MD5 = "md5:7c2ac02c03563afcf9b574c7e56c153a"  # torchtext's published md5 of the Stanford archive
URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
#: Reviews in each of train/pos, train/neg, test/pos, test/neg (content check of an extracted folder).
REVIEWS_PER_FOLDER = 12_500
_REVIEW = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/([^/]+\.txt)$")


def review_folders_content(folder: Path) -> None:
    """Content check of an extracted ``aclImdb/`` (no hash exists for a folder): each of
    train/pos, train/neg, test/pos, test/neg holds ``REVIEWS_PER_FOLDER`` ``.txt`` reviews."""
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            count = len(list((folder / split / label).glob("*.txt")))
            if count != REVIEWS_PER_FOLDER:
                raise ContentError(
                    f"{split}/{label} holds {count:,} reviews, the real archive {REVIEWS_PER_FOLDER:,}"
                )


def keras_places() -> tuple[Place, ...]:
    """Where Keras' ``get_file(..., untar=True)`` and keras.io's ``curl`` + ``tar -xf`` leave the reviews:
    ``~/.keras/datasets`` (the archive; Keras 2 also ``aclImdb/``), Keras 3's extraction folders
    ``aclImdb_v1/`` (``fname="aclImdb_v1"``) and ``aclImdb_v1_extracted/`` (``fname="aclImdb_v1.tar.gz"``),
    and the current folder."""
    datasets = keras_datasets_dir()
    keras = tuple(
        Place(folder, "Keras")
        for folder in (datasets, datasets / "aclImdb_v1", datasets / "aclImdb_v1_extracted")
    )
    return (*keras, Place(Path.cwd(), "the current folder"))


#: The archive (pinned md5; Keras 3 names it ``aclImdb_v1_archive``) or its extracted ``aclImdb/``;
#: Keras' folders are resolved when looked in (``$KERAS_HOME`` at that time).
IMDB_FILES = FileSet(
    title="IMDB reviews (aclImdb_v1)",
    subdir="imdb",
    files=(
        RemoteFile(
            ARCHIVE,
            ARCHIVE_MD5,
            URL,
            alternatives=(
                RemoteFile("aclImdb", content=review_folders_content, folder=True),
                RemoteFile("aclImdb_v1_archive", ARCHIVE_MD5),
            ),
        ),
    ),
    known_folders=keras_places,
    hint="; or choose the offline corpus explicitly with --data.source synthetic",
)


def tokenize(text: str) -> list[str]:
    """Keras' ``lower_and_strip_punctuation`` standardisation, then whitespace split."""
    return _PUNCTUATION.sub("", text.lower()).split()


def build_vocabulary(texts, max_tokens: int) -> dict[str, int]:
    """token → id for the ``max_tokens − 2`` most frequent tokens of ``texts`` (ids from 2)."""
    if max_tokens < 3:
        raise DataError(f"max_tokens must be at least 3 (padding, unknown, one word), got {max_tokens}")
    counts = Counter(token for text in texts for token in tokenize(text))
    ranked = sorted(counts, key=lambda token: (-counts[token], token))[: max_tokens - 2]
    return {token: index for index, token in enumerate(ranked, start=2)}


def encode(texts, vocabulary: dict[str, int], max_length: int | None = None) -> np.ndarray:
    """int64 (n, steps): each text's ids (1 for unknown tokens), right-padded with 0."""
    rows = [[vocabulary.get(token, UNKNOWN) for token in tokenize(text)][:max_length] for text in texts]
    ids = np.zeros((len(rows), max(1, max(map(len, rows), default=1))), dtype=np.int64)
    for row, tokens in zip(ids, rows):
        row[: len(tokens)] = tokens
    return ids


# --- the offline corpus ---------------------------------------------------------------------------

POSITIVE = [
    "great",
    "wonderful",
    "superb",
    "brilliant",
    "moving",
    "excellent",
    "loved",
    "beautiful",
    "funny",
    "charming",
]
NEGATIVE = ["awful", "boring", "terrible", "dull", "worst", "bad", "hated", "stupid", "weak", "painful"]


def _filler_words(count: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "ve", "zo", "pe", "di", "so", "gu"]
    return [a + b + c for a in syllables for b in syllables for c in syllables][:count]


def synthetic_reviews(n: int, rng: np.random.Generator, min_words: int, max_words: int, filler: int):
    """``n`` generated reviews and 0/1 labels: filler words plus 1–4 sentiment words whose
    majority decides the label; capitals and punctuation exercise the standardisation."""
    words = _filler_words(filler)
    texts, labels = [], np.zeros(n, dtype=np.int64)
    for index in range(n):
        label = int(rng.integers(2))
        body = list(rng.choice(words, size=int(rng.integers(min_words, max_words + 1))))
        majority, minority = (POSITIVE, NEGATIVE) if label else (NEGATIVE, POSITIVE)
        strong = int(rng.integers(1, 4))
        cues = list(rng.choice(majority, size=strong)) + list(
            rng.choice(minority, size=int(rng.integers(0, strong)))
        )
        for cue in cues:
            body.insert(int(rng.integers(len(body) + 1)), cue)
        body[0] = body[0].capitalize()
        texts.append(" ".join(body) + rng.choice([".", "!", "?!", " :)"]))
        labels[index] = label
    return texts, labels


# --- the real reviews -----------------------------------------------------------------------------


def read_aclimdb(archive) -> dict[str, tuple[list[str], np.ndarray]]:
    """``{"train": (texts, labels), "test": (...)}`` (pos = 1, neg = 0) from ``aclImdb_v1.tar.gz`` or
    an extracted ``aclImdb/`` folder, reviews in name order so the result does not depend on the
    archive's layout. ``unsup/``, ``urls_*.txt``, ``*.feat`` and the vocabulary are skipped.

    The archive is read in ONE pass as a stream: the real one stores ~100k members in no name
    order, and seeking back in a gzip stream restarts its decompression from the start."""
    reviews = _folder_reviews(Path(archive)) if Path(archive).is_dir() else _archive_reviews(Path(archive))
    splits = {"train": ([], []), "test": ([], [])}
    for (split, label, _), text in sorted(reviews.items()):
        splits[split][0].append(text.decode("utf-8").replace("<br />", " "))
        splits[split][1].append(int(label == "pos"))
    if not splits["train"][0] or not splits["test"][0]:
        raise DataError(f"{archive} holds no aclImdb/train and aclImdb/test reviews")
    return {name: (texts, np.asarray(labels, dtype=np.int64)) for name, (texts, labels) in splits.items()}


def _archive_reviews(path: Path) -> dict[tuple[str, str, str], bytes]:
    """``{(split, pos|neg, file name): bytes}`` from the archive, one sequential pass."""
    reviews = {}
    try:
        with tarfile.open(path, "r|gz") as tar:
            for member in tar:
                found = _REVIEW.search(member.name)
                if found and member.isfile():
                    reviews[found.groups()] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataError(
            f"{path} is not a readable tar.gz archive ({error}): delete it to download it again"
        ) from None
    return reviews


def _folder_reviews(folder: Path) -> dict[tuple[str, str, str], bytes]:
    """``{(split, pos|neg, file name): bytes}`` from an extracted ``aclImdb/``."""
    return {
        (split, label, file.name): file.read_bytes()
        for split in ("train", "test")
        for label in ("pos", "neg")
        for file in (folder / split / label).glob("*.txt")
    }


class IMDBDataModule(ArrayDataModule):
    """Token ids (n, steps) int64 and labels (n, 1) float32 (1 = positive), one vocabulary.

    Args:
        source: ``"synthetic"`` (offline, generated) or ``"download"`` (aclImdb download/cache).
        max_tokens: vocabulary size including padding and unknown (the course: 1,000).
        max_length: truncate reviews to this many tokens (``None``: keep all).
        n_reviews: synthetic only — ``[train, test]`` review counts.
        words: synthetic only — ``[min, max]`` filler words per review.
        data_dir: cache folder of the real archive (default ``$TWINS_DATA_DIR`` or ``~/.cache/twins``).
    """

    #: The labelled offline substitute, chosen by name (``--data.source synthetic``).
    OFFLINE_SUBSTITUTE = "synthetic"
    COURSE_STEPS = (391, "IMDB")  # 25,000 training reviews / batch 64

    def __init__(
        self,
        source: str = "download",
        max_tokens: PositiveInt = 1000,
        max_length: PositiveInt | None = None,
        n_reviews: list[PositiveInt] = (2000, 1000),
        words: list[PositiveInt] = (5, 60),
        filler_words: PositiveInt = 1500,
        data_seed: NonNegativeInt = 7,
        data_dir: str | None = None,
        batch_size: PositiveInt = 64,
        validation_split: ClosedOpenUnitInterval = 0.2,
        seed: NonNegativeInt = 0,
    ):
        super().__init__(batch_size=batch_size, validation_split=validation_split, seed=seed)
        if source not in ("synthetic", "download"):
            raise DataError(f"unknown IMDB source {source!r}: use 'synthetic' (offline) or 'download'")
        self.source_name, self.max_tokens, self.max_length = source, max_tokens, max_length
        self.n_reviews, self.words, self.filler_words = list(n_reviews), list(words), filler_words
        self.data_seed, self.data_dir = data_seed, data_dir
        self.vocabulary: dict[str, int] | None = None

    @property
    def source(self) -> str:
        if self.source_name == "download":
            return "IMDB reviews (aclImdb_v1, 25,000 train / 25,000 test)"
        return f"synthetic review corpus ({sum(self.n_reviews)} generated reviews; substitute for IMDB)"

    def texts(self):
        """``(train_texts, train_labels, test_texts, test_labels)``; training order shuffled (seeded)."""
        rng = np.random.default_rng(self.data_seed)
        if self.source_name == "synthetic":
            low, high = self.words
            train = synthetic_reviews(self.n_reviews[0], rng, low, high, self.filler_words)
            test = synthetic_reviews(self.n_reviews[1], rng, low, high, self.filler_words)
        else:
            splits = read_aclimdb(fetch(IMDB_FILES, self.data_dir)[0])
            order = rng.permutation(len(splits["train"][0]))
            train = ([splits["train"][0][i] for i in order], splits["train"][1][order])
            test = splits["test"]
        return (*train, *test)

    def load_splits(self) -> ArraySplits:
        train_texts, train_labels, test_texts, test_labels = self.texts()
        self.vocabulary = build_vocabulary(train_texts, self.max_tokens)
        x_train = encode(train_texts, self.vocabulary, self.max_length)
        x_test = encode(test_texts, self.vocabulary, self.max_length)
        x_train, y_train, x_val, y_val = keras_validation_split(
            x_train, regression_target(train_labels), self.validation_split
        )
        return ArraySplits(x_train, y_train, x_val, y_val, x_test, regression_target(test_labels))

    def model_inputs(self) -> dict:
        return {"vocab_size": self.max_tokens}
