"""The tutorial's initializer search with scikeras: KerasClassifier + GridSearchCV on Keras 3 / JAX.

Run by bench/scikeras_initializers.sh (which builds the venv and runs `trainboard search` on the same grid and data).
The model and training are Trainboard's defaults, i.e. the tutorial's: 784-64-Dropout(0.1)-64-10, ReLU, softmax,
SGD lr 0.1, momentum 0.8, Keras 2 decay 0.0016 per update (InverseTimeDecay(0.1, 1, 0.0016)), sparse categorical
cross-entropy, batch 128, 10 epochs; kernels from the candidate initializer, biases from zeros. The grid is the 8
initializers, 3-fold StratifiedKFold (no shuffle), scoring accuracy, refit=True; the refit model is scored on the same
test rows as Trainboard's (the first N test samples).

Usage: python scikeras_initializers.py DATA N_TRAIN EPOCHS BATCH N_JOBS
  DATA: "fashion-mnist" (IDX .gz files in /usr/share/datasets/fashion-mnist) or a path to Keras's mnist.npz.
Prints one JSON line: wall times (imports, data, GridSearchCV.fit, the whole script), the cv_results' mean test
scores per initializer, the refit's test accuracy and the versions.
"""
import time

t_start = time.perf_counter()
import gzip
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
import keras
import jax
import sklearn
import scikeras
from scikeras.wrappers import KerasClassifier
from sklearn.model_selection import GridSearchCV

t_imported = time.perf_counter()
data, n_train, epochs, batch, n_jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

INITS = ["zero", "uniform", "normal", "lecun_uniform", "lecun_normal", "glorot_uniform", "glorot_normal", "he_uniform"]


def idx(path, header):
    with gzip.open(path) as f:
        return np.frombuffer(f.read()[header:], dtype=np.uint8)


if data == "fashion-mnist":
    d = "/usr/share/datasets/fashion-mnist/"
    x_train = idx(d + "train-images-idx3-ubyte.gz", 16).reshape(-1, 784)[:n_train]
    y_train = idx(d + "train-labels-idx1-ubyte.gz", 8)[:n_train]
    x_test = idx(d + "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)[:n_train]
    y_test = idx(d + "t10k-labels-idx1-ubyte.gz", 8)[:n_train]
else:
    with np.load(data) as f:
        x_train, y_train = f["x_train"].reshape(-1, 784)[:n_train], f["y_train"][:n_train]
        x_test, y_test = f["x_test"].reshape(-1, 784)[:n_train], f["y_test"][:n_train]
x_train = (x_train / 255.0).astype(np.float32)
x_test = (x_test / 255.0).astype(np.float32)
y_train = y_train.astype(np.int64)
y_test = y_test.astype(np.int64)
t_data = time.perf_counter()


def initializer(name):
    # Keras 2's names as the tutorial uses them (Trainboard's --init): uniform U(-0.05, 0.05), normal N(0, 0.05).
    if name == "uniform":
        return keras.initializers.RandomUniform(-0.05, 0.05)
    if name == "normal":
        return keras.initializers.RandomNormal(0.0, 0.05)
    if name == "zero":
        return keras.initializers.Zeros()
    return name


def create_model(init="glorot_uniform"):
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(64, activation="relu", kernel_initializer=initializer(init)),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(64, activation="relu", kernel_initializer=initializer(init)),
        keras.layers.Dense(10, activation="softmax", kernel_initializer=initializer(init)),
    ])
    lr = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.0016)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=0.8),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


keras.utils.set_random_seed(1)
clf = KerasClassifier(model=create_model, init="glorot_uniform", epochs=epochs, batch_size=batch, verbose=0,
                      random_state=1)
search = GridSearchCV(clf, param_grid={"model__init": INITS}, cv=3, scoring="accuracy", refit=True, n_jobs=n_jobs)
search.fit(x_train, y_train)
t_fit = time.perf_counter()
test_accuracy = float(search.score(x_test, y_test))
t_end = time.perf_counter()
means = {p["model__init"]: float(s) for p, s in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"])}
print(json.dumps({
    "import_s": t_imported - t_start, "data_s": t_data - t_imported, "fit_s": t_fit - t_data,
    "script_s": t_end - t_start, "mean_test_score": means, "best_params": search.best_params_,
    "test_accuracy": test_accuracy, "n_train": int(len(x_train)), "n_test": int(len(x_test)),
    "versions": f"scikeras {scikeras.__version__}, keras {keras.__version__}, jax {jax.__version__}, "
                f"scikit-learn {sklearn.__version__}, backend {keras.backend.backend()}",
}))
