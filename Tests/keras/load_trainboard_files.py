"""Keras opens Trainboard's files: load_model(.keras), load_model(.h5), model_from_json(.json) + load_weights(
.weights.h5 / .h5), and predicts what Trainboard predicted (its CSV) on the same images.

Usage: load_trainboard_files.py DIR N   (DIR holds tb.keras, tb.h5, tb.json, tb.weights.h5, tb.csv)
Exit status 1 if any check fails.
"""
import json
import os
import sys
import warnings
import zipfile

warnings.filterwarnings("ignore")
import keras  # noqa: E402
import numpy as np  # noqa: E402

from common import check, read_predictions, test_images  # noqa: E402

d, n = sys.argv[1], int(sys.argv[2])
x = test_images(n)
want = read_predictions(os.path.join(d, "tb.csv"))
ok = True

m = keras.saving.load_model(os.path.join(d, "tb.keras"))
ok &= check("Keras load_model(tb.keras) predicts Trainboard's outputs", m.predict(x, verbose=0), want)
# The archive carries Trainboard's own members (metadata, and the training state of a checkpoint written during
# training, for `trainboard train --resume`), which Keras ignored while loading.
with zipfile.ZipFile(os.path.join(d, "tb.keras")) as z:
    names = z.namelist()
    extra = json.loads(z.read("trainboard.json"))
    state = json.loads(z.read("trainboard-state.json")) if "trainboard-state.json" in names else {}
good = "trainboard.json" in names and "trainboard-state.json" in names and len(names) == 5 \
    and state.get("format") == "trainboard-state" and state.get("iterations") == extra["metadata"]["iterations"]
print(("ok   " if good else "FAIL ") + f"tb.keras has Keras's three members plus trainboard.json and trainboard-state.json, which Keras ignores: {names}")
ok &= good
# The optimizer's state is where Keras keeps it: its iteration count equals the updates Trainboard made.
its = int(keras.ops.convert_to_numpy(m.optimizer.iterations))
good = m.optimizer.__class__.__name__ == "SGD" and its == extra["metadata"]["iterations"] and its > 0
print(("ok   " if good else "FAIL ") + f"optimizer SGD with iterations {its} (Trainboard: {extra['metadata'].get('iterations')})")
ok &= good
momentum = [v for v in m.optimizer.variables if "momentum" in v.path]
good = len(momentum) == 6 and float(np.abs(keras.ops.convert_to_numpy(momentum[0])).max()) > 0
print(("ok   " if good else "FAIL ") + f"{len(momentum)} momentum variables restored, non-zero")
ok &= good

m2 = keras.saving.load_model(os.path.join(d, "tb.h5"))
ok &= check("Keras load_model(tb.h5) (legacy HDF5) predicts Trainboard's outputs", m2.predict(x, verbose=0), want)

with open(os.path.join(d, "tb.json")) as f:
    arch = f.read()
m3 = keras.models.model_from_json(arch)
m3.load_weights(os.path.join(d, "tb.weights.h5"))
ok &= check("Keras model_from_json(tb.json) + load_weights(tb.weights.h5)", m3.predict(x, verbose=0), want)
m4 = keras.models.model_from_json(arch)
m4.load_weights(os.path.join(d, "tb.h5"))
ok &= check("Keras model_from_json(tb.json) + load_weights(tb.h5) (legacy layout)", m4.predict(x, verbose=0), want)
sys.exit(0 if ok else 1)
