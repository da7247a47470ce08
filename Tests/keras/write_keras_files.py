"""Keras writes a tutorial-shaped model (784-64-Dropout(0.1)-64-10, relu, softmax, SGD with momentum) in every
format Trainboard reads, and its predictions on the first N test images:

  k.keras                  model.save (Keras 3 archive)
  k.weights.h5 + k.json    model.save_weights + model.to_json()
  k.h5                     model.save (Keras 2's legacy full-model HDF5)
  model.h5 + model.json    the tutorial's pair: Keras 2's save_weights layout (layer_names at the top) + to_json()
  keras.npy                model.predict on the images

The weights are random but not Keras's initial ones (biases too), so a reader that ignored a tensor would differ.
Usage: write_keras_files.py DIR N
"""
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

from common import test_images  # noqa: E402

d, n = sys.argv[1], int(sys.argv[2])
keras.utils.set_random_seed(7)
m = keras.Sequential([
    keras.Input((784,)),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dropout(0.1),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
m.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.8), loss="categorical_crossentropy", metrics=["accuracy"])
rng = np.random.default_rng(7)
m.set_weights([w + rng.normal(0, 0.05, w.shape).astype(np.float32) for w in m.get_weights()])
m.save(os.path.join(d, "k.keras"))
m.save_weights(os.path.join(d, "k.weights.h5"))
m.save(os.path.join(d, "k.h5"))
for name in ("k.json", "model.json"):
    with open(os.path.join(d, name), "w") as f:
        f.write(m.to_json())
with h5py.File(os.path.join(d, "model.h5"), "w") as f:
    legacy_h5_format.save_weights_to_hdf5_group(f, m)
np.save(os.path.join(d, "keras.npy"), m.predict(test_images(n), verbose=0))
print(f"Keras {keras.__version__} ({keras.backend.backend()} backend) wrote k.keras, k.weights.h5, k.h5, k.json, model.h5, model.json")
