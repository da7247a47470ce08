"""A real Keras 3 `fit` (JAX CPU backend) with TrainboardCallback, steered by the test's own protocol client."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import math
import shutil
import tempfile
import threading
import time
import unittest

import keras
import numpy as np

from _client import Client, number, wait_for
from trainboard.keras import TrainboardCallback

STEPS = 16       # 512 samples / batch 32


def make_model(learning_rate=0.01):
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(4, activation="softmax")], name="mlp")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def make_data(n=512):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 20)).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + 2 * (x[:, 1] > 0).astype("int32")
    return x, y


class Recorder(keras.callbacks.Callback):
    """What Keras itself reports: at each batch begin, `optimizer.iterations` and `optimizer.learning_rate`."""

    def __init__(self, delay=0.004):
        super().__init__()
        self.delay = delay
        self.begins = []      # (iterations, learning rate) per batch, read from the optimizer
        self.batches = 0      # on_train_batch_end calls: the Keras batch counter

    def on_train_batch_begin(self, batch, logs=None):
        optimizer = self.model.optimizer
        self.begins.append((int(keras.ops.convert_to_numpy(optimizer.iterations)),
                            float(keras.ops.convert_to_numpy(optimizer.learning_rate))))

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        time.sleep(self.delay)   # a few ms per batch, so that the test sees the run in flight


class FitThread(threading.Thread):
    def __init__(self, model, callbacks, epochs, validation=True):
        super().__init__(daemon=True)
        self.model, self.callbacks, self.epochs, self.validation = model, callbacks, epochs, validation
        self.history = self.error = None

    def run(self):
        x, y = make_data()
        try:
            self.history = self.model.fit(x, y, batch_size=32, epochs=self.epochs, verbose=0,
                                          validation_data=(x[:64], y[:64]) if self.validation else None,
                                          callbacks=self.callbacks)
        except BaseException as error:   # reported by the test
            self.error = error


class KerasSteeringTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tb-keras-")
        os.environ["XDG_RUNTIME_DIR"] = self.dir
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_pause_set_lr_checkpoint_detach_reattach_stop(self):
        path = os.path.join(self.dir, "mlp.sock")
        model = make_model(0.01)
        recorder = Recorder()
        fit = FitThread(model, [TrainboardCallback(listen=path, batch_size=32, announce=False), recorder], epochs=500)
        fit.start()
        client = Client(path)
        self.addCleanup(client.close)
        hello, history, count = client.read_history()
        self.assertEqual(hello["framework"], f"keras {keras.__version__} (jax)")
        self.assertEqual((hello["epochs"], hello["steps_per_epoch"], hello["batch_size"]), (500, STEPS, 32))
        self.assertEqual(hello["model"]["params"], 20 * 32 + 32 + 32 * 4 + 4)   # 804: Dense(32) + Dense(4)
        self.assertIn("dense", hello["model"]["summary"])
        self.assertEqual(hello["learning_rate"], 0.01)
        self.assertIn("accuracy", hello["metrics"])
        self.assertEqual(len(history), count)

        # Batches with Keras's keys, one update each.
        batch = client.read_until(lambda m: m["type"] == "batch" and m["update"] >= 5)
        self.assertEqual(set(batch["logs"]), {"loss", "accuracy"})
        self.assertEqual(batch["learning_rate"], 0.01)

        # pause: the Keras batch counter does not move for 2 s (and no batch message arrives).
        id = client.command("pause")
        ack = client.ack(id)
        self.assertTrue(ack["ok"], ack)
        self.assertEqual(ack["from"], 1)
        counted = recorder.batches
        quiet = client.drain(2.0)
        self.assertEqual(recorder.batches, counted, "Keras ran batches while paused")
        self.assertEqual([m for m in quiet if m["type"] == "batch"], [])
        self.assertTrue(fit.is_alive())

        # set_lr while paused: acked with the value and the update; Keras's optimizer reports it at the next batch.
        id = client.command("set_lr", value=0.0123)
        ack = client.ack(id)
        self.assertTrue(ack["ok"], ack)
        self.assertAlmostEqual(ack["applied"]["learning_rate"], 0.0123, places=7)
        update = ack["update"]     # the first update that uses the new rate (updates done + 1)
        id = client.command("resume")
        self.assertTrue(client.ack(id)["ok"])
        first = client.read_until(lambda m: m["type"] == "batch" and m["update"] == update)
        self.assertAlmostEqual(first["learning_rate"], 0.0123, places=7)
        # recorder.begins holds optimizer.iterations before each batch: update - 1 before the batch making update.
        wait_for(lambda: any(it == update - 1 for it, _ in recorder.begins), what="the next batch")
        before = [lr for it, lr in recorder.begins if it == update - 2]
        after = [lr for it, lr in recorder.begins if it == update - 1]
        self.assertAlmostEqual(before[-1], 0.01, places=7)
        self.assertAlmostEqual(after[0], 0.0123, places=7)   # float32 0.0123 = 0.012299999594688416

        # scale_lr while running: 0.0123 * 0.5.
        id = client.command("scale_lr", value=0.5)
        ack = client.ack(id)
        self.assertAlmostEqual(ack["applied"]["learning_rate"], 0.00615, places=7)
        wait_for(lambda: any(it == ack["update"] - 1 for it, _ in recorder.begins), what="the batch after scale_lr")
        self.assertAlmostEqual([lr for it, lr in recorder.begins if it == ack["update"] - 1][0], 0.00615, places=7)

        # checkpoint: a .keras file that Keras loads, with the learning rate and iterations of that moment.
        checkpoint = os.path.join(self.dir, "ck.keras")
        id = client.command("checkpoint", path=checkpoint)
        ack = client.ack(id)
        self.assertTrue(ack["ok"], ack)
        self.assertEqual(ack["applied"]["path"], checkpoint)
        event = client.read_until(lambda m: m["type"] == "event" and m["kind"] == "checkpoint")
        self.assertEqual(event["path"], checkpoint)
        loaded = keras.saving.load_model(checkpoint)
        self.assertAlmostEqual(float(loaded.optimizer.learning_rate), 0.00615, places=7)
        self.assertEqual(int(loaded.optimizer.iterations), ack["update"])
        self.assertEqual(loaded.count_params(), 804)
        # A checkpoint path that is not .keras/.h5 is refused without touching the file.
        keep = os.path.join(self.dir, "notes.txt")
        with open(keep, "w") as handle:
            handle.write("keep me")
        id = client.command("checkpoint", path=keep)
        self.assertFalse(client.ack(id)["ok"])
        with open(keep) as handle:
            self.assertEqual(handle.read(), "keep me")

        # detach: the run goes on; re-attach: the whole history again, every update from 1 without a gap.
        client.close()
        counted = recorder.batches
        wait_for(lambda: recorder.batches >= counted + 20, what="training to go on while detached")
        again = Client(path)
        self.addCleanup(again.close)
        hello, history, count = again.read_history()
        self.assertEqual(len(history), count)
        updates = [m["update"] for m in history if m["type"] == "batch"]
        self.assertEqual(updates, list(range(1, len(updates) + 1)))
        self.assertGreater(len(updates), counted)
        acks = [m["command"] for m in history if m["type"] == "ack"]
        self.assertEqual(acks, ["pause", "set_lr", "resume", "scale_lr", "checkpoint", "checkpoint"])
        kinds = [m["kind"] for m in history if m["type"] == "event"]
        self.assertEqual(kinds, ["pause", "lr_change", "resume", "lr_change", "checkpoint"])
        epochs = [m for m in history if m["type"] == "epoch"]
        self.assertTrue(epochs and all("val_loss" in m["logs"] for m in epochs))
        self.assertEqual([m["epoch"] for m in epochs], list(range(len(epochs))))
        self.assertEqual(epochs[0]["update"], STEPS)
        self.assertAlmostEqual(hello["learning_rate"], 0.00615, places=7)

        # stop: fit ends early with its History intact, and every client gets `end`.
        id = again.command("stop")
        ack = again.ack(id)
        self.assertTrue(ack["ok"], ack)
        end = again.read_type("end")
        fit.join(60)
        self.assertFalse(fit.is_alive())
        self.assertIsNone(fit.error)
        done = len(fit.history.history["loss"])
        self.assertLess(done, 500)
        self.assertEqual(end["epoch"], done - 1)
        # The last epoch as Keras prints it ("Epoch N/..."): N = the epochs in the History (not the 0-based index).
        self.assertEqual(end["reason"], f"stopped after epoch {done}")
        self.assertEqual(len(fit.history.history["val_loss"]), done)
        self.assertFalse(os.path.exists(path), "the socket was not removed")

    def test_nan_and_early_stop_events(self):
        model = make_model(0.01)
        x, y = make_data(64)
        x[5, 3] = np.nan
        callback = TrainboardCallback(announce=False, name="nan-run")
        holder = {}

        class Attach(keras.callbacks.Callback):
            """Attaches from inside the fit (after the Trainboard callback's on_train_begin) to read every message."""

            def on_train_begin(self, logs=None):
                holder["client"] = Client(callback.session.socket_path)

        history = model.fit(x, y, batch_size=64, epochs=3, verbose=0,
                            callbacks=[callback, Attach(), keras.callbacks.TerminateOnNaN()])
        client = holder["client"]
        self.addCleanup(client.close)
        end = client.read_type("end")
        kinds = [(m["kind"], m["message"]) for m in client.messages if m["type"] == "event"]
        self.assertEqual([k for k, _ in kinds], ["nan", "early_stop"], kinds)
        # Human texts count epochs from 1, as Keras prints them (the `epoch` fields count from 0).
        self.assertEqual([text for _, text in kinds],
                         ["loss is nan at epoch 1, batch 0", "training stopped by another callback after epoch 1"])
        self.assertEqual([m["epoch"] for m in client.messages if m["type"] == "event"], [0, 0])
        batch = next(m for m in client.messages if m["type"] == "batch")
        self.assertTrue(math.isnan(number(batch["logs"]["loss"])))
        self.assertEqual(end["reason"], "stopped after epoch 1")
        self.assertEqual(len(history.history["loss"]), 1)
        # the default socket lived in the private directory and is gone
        self.assertTrue(callback.name == "nan-run")
        self.assertEqual(os.listdir(os.path.join(self.dir, "trainboard")), [])


if __name__ == "__main__":
    unittest.main()
