"""Writes the Keras CSVLogger fixtures that `trainboard replay` / `compare` are tested on.

Run once (the outputs are committed next to this script; rerunning rewrites them, and values may differ in the last
digits across Keras/JAX versions and CPUs):

    KERAS_BACKEND=jax python Tests/Fixtures/keras-logs/make_fixtures.py

Made with Keras 3.15.1 and JAX 0.10.2 (CPU). Each file is written by `keras.callbacks.CSVLogger` itself, so the
columns, their order (`epoch`, then the logs' keys sorted) and the number format (`repr(float)`, `nan`, `inf`) are
exactly what Keras writes. The data are small seeded synthetic sets: the point is the file format, not the model.

- classifier.csv: 3-class softmax MLP, SGD with a LearningRateScheduler (step: lr halves every 3 epochs), so the
  file has a `learning_rate` column; `accuracy`, `loss`, `val_accuracy`, `val_loss`; 8 epochs.
- classifier-adam.csv: the same data with Adam, 5 epochs, no learning-rate column (runs of different lengths and
  column sets for `compare`).
- extra-metrics.csv: binary classifier with `accuracy`, `auc`, `precision` (and their `val_` forms).
- diverging.csv: regression with SGD at a learning rate far too large: the loss overflows to `inf` and then `nan`
  (no TerminateOnNaN), with a `learning_rate` column.
- regression.csv: regression, mean squared error with metric `mae`, validation split, ReduceLROnPlateau-free
  exponential LearningRateScheduler.
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def out(name):
    return os.path.join(HERE, name)


def mlp(inputs, hidden, outputs, activation):
    return keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(outputs, activation=activation),
    ])


def classification_data(rng, n=600, features=8, classes=3, noise=1.2):
    centres = rng.normal(0, 1.5, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    x = centres[y] + rng.normal(0, noise, size=(n, features))
    return x.astype("float32"), y


def main():
    rng = np.random.default_rng(7)

    # classifier.csv: SGD + step schedule.
    keras.utils.set_random_seed(1)
    x, y = classification_data(rng)
    m = mlp(8, 16, 3, "softmax")
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.8),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    step = keras.callbacks.LearningRateScheduler(lambda e, lr: 0.1 * 0.5 ** (e // 3))
    m.fit(x, y, epochs=8, batch_size=32, validation_split=0.2, verbose=0,
          callbacks=[step, keras.callbacks.CSVLogger(out("classifier.csv"))])

    # classifier-adam.csv: same data, Adam, shorter, no learning_rate column.
    keras.utils.set_random_seed(2)
    m = mlp(8, 16, 3, "softmax")
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=5, batch_size=32, validation_split=0.2, verbose=0,
          callbacks=[keras.callbacks.CSVLogger(out("classifier-adam.csv"))])

    # extra-metrics.csv: binary, accuracy + AUC + precision.
    keras.utils.set_random_seed(3)
    xb, yb = classification_data(rng, classes=2, noise=4.0)
    m = mlp(8, 16, 1, "sigmoid")
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.AUC(name="auc"), keras.metrics.Precision(name="precision")])
    m.fit(xb, yb.astype("float32"), epochs=6, batch_size=32, validation_split=0.25, verbose=0,
          callbacks=[keras.callbacks.CSVLogger(out("extra-metrics.csv"))])

    # Regression data: y = w.x + noise, real-valued.
    xr = rng.normal(0, 1, size=(500, 6)).astype("float32")
    yr = (xr @ rng.normal(0, 2, size=6) + rng.normal(0, 0.3, size=500) + 3).astype("float32")

    # diverging.csv: SGD with a rate far too large -> inf, then nan.
    keras.utils.set_random_seed(4)
    m = mlp(6, 16, 1, None)
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mean_squared_error", metrics=["mae"])
    grow = keras.callbacks.LearningRateScheduler(lambda e, lr: 0.01 * 4.0 ** e)
    m.fit(xr, yr, epochs=7, batch_size=50, validation_split=0.2, verbose=0,
          callbacks=[grow, keras.callbacks.CSVLogger(out("diverging.csv"))])

    # regression.csv: mean squared error, metric mae, exponential schedule.
    keras.utils.set_random_seed(5)
    m = mlp(6, 32, 1, None)
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="mean_squared_error", metrics=["mae"])
    decay = keras.callbacks.LearningRateScheduler(lambda e, lr: float(0.02 * np.exp(-0.2 * e)))
    m.fit(xr, yr, epochs=10, batch_size=32, validation_split=0.2, verbose=0,
          callbacks=[decay, keras.callbacks.CSVLogger(out("regression.csv"))])

    for name in ["classifier.csv", "classifier-adam.csv", "extra-metrics.csv", "diverging.csv", "regression.csv"]:
        with open(out(name)) as f:
            sys.stdout.write(f"== {name}\n{f.read()}")


if __name__ == "__main__":
    main()
