#!/usr/bin/env python3
"""Train a small MLP with Keras 3 and TrainboardCallback, so that `trainboard attach SOCKET` can watch and steer it.

    KERAS_BACKEND=jax python keras_mlp.py --listen /tmp/mlp.sock --epochs 5
    trainboard attach /tmp/mlp.sock        # in another terminal (or tmux window)

Made to be driven from scripts and tests:
  --listen PATH|127.0.0.1:PORT  where the run listens (default: a new socket in the private run directory, printed)
  --data DIR|random             Fashion-MNIST's idx files (default /usr/share/datasets/fashion-mnist when present),
                                or random data (a learnable rule: class = argmax of the first 10 features)
  --samples N                   use the first N training samples (default 6000)
  --delay SECONDS               sleep after each batch (default 0), so that a human or a script sees it in flight
  --record FILE                 write one JSON line per batch: {"iterations", "learning_rate"} as Keras's optimizer
                                reports them at the batch's beginning (to check a set_lr from outside)
  --history FILE                write fit's History (history.history) as JSON at the end
Exit status 0 when fit returns (completed or stopped), 2 for bad arguments or data.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from trainboard.keras import TrainboardCallback  # noqa: E402

MAX_IDX_BYTES = 64 * 1024 * 1024


def read_idx(path, limit):
    """An idx file (gzip) as a uint8 array, the first `limit` items; bounded: ValueError for a bad header."""
    with gzip.open(path, "rb") as handle:
        header = handle.read(4)
        if len(header) != 4 or header[:2] != b"\0\0" or header[2] != 8 or not 1 <= header[3] <= 3:
            raise ValueError(f"{path}: not an idx file of unsigned bytes (header {header!r})")
        dims = list(struct.unpack(f">{header[3]}I", handle.read(4 * header[3])))
        dims[0] = min(dims[0], limit)
        size = int(np.prod(dims))
        if size > MAX_IDX_BYTES:
            raise ValueError(f"{path}: {size} bytes is over the {MAX_IDX_BYTES}-byte limit")
        data = handle.read(size)
        if len(data) != size:
            raise ValueError(f"{path}: truncated ({len(data)} of {size} bytes)")
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def load(data, samples):
    if data == "random":
        rng = np.random.default_rng(0)
        x = rng.normal(size=(samples + 1000, 784)).astype("float32")
        y = np.argmax(x[:, :10], axis=1).astype("int32")
        return (x[:samples], y[:samples]), (x[samples:], y[samples:])
    x = read_idx(os.path.join(data, "train-images-idx3-ubyte.gz"), samples).reshape(-1, 784) / np.float32(255)
    y = read_idx(os.path.join(data, "train-labels-idx1-ubyte.gz"), samples).astype("int32")
    xv = read_idx(os.path.join(data, "t10k-images-idx3-ubyte.gz"), 1000).reshape(-1, 784) / np.float32(255)
    yv = read_idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz"), 1000).astype("int32")
    return (x, y), (xv, yv)


class Record(keras.callbacks.Callback):
    """Optional: what the optimizer reports at each batch's beginning, one JSON line per batch; and a delay."""

    def __init__(self, path, delay):
        super().__init__()
        self.handle = open(path, "w") if path else None
        self.delay = delay

    def on_train_batch_begin(self, batch, logs=None):
        if self.handle:
            optimizer = self.model.optimizer
            self.handle.write(json.dumps({
                "iterations": int(keras.ops.convert_to_numpy(optimizer.iterations)),
                "learning_rate": float(keras.ops.convert_to_numpy(optimizer.learning_rate))}) + "\n")
            self.handle.flush()

    def on_train_batch_end(self, batch, logs=None):
        if self.delay:
            time.sleep(self.delay)

    def on_train_end(self, logs=None):
        if self.handle:
            self.handle.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default=None)
    parser.add_argument("--name", default="keras-mlp")
    default_data = "/usr/share/datasets/fashion-mnist"
    parser.add_argument("--data", default=default_data if os.path.isdir(default_data) else "random")
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--checkpoint-dir", default=None)
    parser.add_argument("--record", default=None)
    parser.add_argument("--history", default=None)
    args = parser.parse_args()
    if not 1 <= args.samples <= 60000 or args.epochs < 1 or args.batch_size < 1 or args.delay < 0:
        parser.error("--samples must be 1-60000, --epochs and --batch-size >= 1, --delay >= 0")
    try:
        (x, y), validation = load(args.data, args.samples)
    except (OSError, ValueError) as error:
        print(f"keras_mlp.py: cannot read --data {args.data}: {error}", file=sys.stderr)
        return 2
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")], name=args.name)
    model.compile(optimizer=keras.optimizers.SGD(args.learning_rate, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [TrainboardCallback(listen=args.listen, name=args.name, batch_size=args.batch_size,
                                    checkpoint_dir=args.checkpoint_dir),
                 Record(args.record, args.delay)]
    history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, validation_data=validation,
                        callbacks=callbacks, verbose=2)
    if args.history:
        with open(args.history, "w") as handle:
            json.dump(history.history, handle)
    print(f"fit returned after {len(history.history['loss'])} epoch(s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
