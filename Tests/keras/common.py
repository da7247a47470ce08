"""Shared helpers for Tests/e2e/keras.sh: Fashion-MNIST test images as Trainboard sees them, and predictions CSVs."""
import csv
import gzip
import os

import numpy as np

DATA = os.environ.get("TB_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def test_images(n):
    """The first n test images as float32 [n, 784] scaled by 1/255 (Trainboard's default for image data)."""
    with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"), "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (raw.reshape(-1, 784)[:n].astype(np.float32) * np.float32(1 / 255)).astype(np.float32)


def read_predictions(path):
    """The p0..p{k-1} columns of a `trainboard predict` CSV, as float64 [rows, k]."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    cols = [i for i, h in enumerate(header) if h.startswith("p")]
    return np.array([[float(r[i]) for i in cols] for r in rows[1:]])


def check(name, got, want, tol=1e-5):
    """Prints ok/FAIL with the largest absolute difference; returns True when within tol."""
    diff = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - np.asarray(want, dtype=np.float64))))
    same_shape = np.shape(got) == np.shape(want)
    good = same_shape and diff <= tol
    print(("ok   " if good else "FAIL ") + f"{name}: max abs difference {diff:.3g} (shape {np.shape(got)} vs {np.shape(want)})")
    return good
