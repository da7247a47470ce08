"""The example programs, run as separate processes, steered through their socket (as a script or tmux test would)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from _client import Client, wait_for

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")


class ExamplesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tb-examples-")
        os.environ["XDG_RUNTIME_DIR"] = self.dir
        self.addCleanup(shutil.rmtree, self.dir, True)

    def start(self, script, *arguments):
        process = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, script), *arguments],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu"))
        self.addCleanup(lambda: process.poll() is None and process.kill())
        return process

    def test_keras_mlp_script(self):
        sock = os.path.join(self.dir, "mlp.sock")
        record, history = os.path.join(self.dir, "record.jsonl"), os.path.join(self.dir, "history.json")
        process = self.start("keras_mlp.py", "--listen", sock, "--data", "random", "--samples", "2048",
                             "--epochs", "100", "--delay", "0.002", "--record", record, "--history", history)
        client = Client(sock, timeout=90)
        self.addCleanup(client.close)
        hello, _, _ = client.read_history(timeout=60)
        self.assertEqual((hello["name"], hello["epochs"], hello["steps_per_epoch"], hello["batch_size"]),
                         ("keras-mlp", 100, 32, 64))
        self.assertEqual(hello["model"]["params"], 784 * 64 + 64 + 64 * 10 + 10)   # 50,890
        client.read_until(lambda m: m["type"] == "batch" and m["update"] >= 3, timeout=60)
        ack = client.ack(client.command("set_lr", value=0.003))
        self.assertTrue(ack["ok"], ack)

        def reported():
            with open(record) as handle:
                rows = [json.loads(line) for line in handle if line.endswith("\n")]
            # `iterations` is recorded before each batch: the batch making update U starts at U - 1.
            return [row["learning_rate"] for row in rows if row["iterations"] == ack["update"] - 1]

        wait_for(lambda: reported(), what="the batch after set_lr")
        self.assertAlmostEqual(reported()[0], 0.003, places=7)
        self.assertTrue(client.ack(client.command("stop"))["ok"])
        end = client.read_type("end")
        out, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 0, err[-2000:])
        with open(history) as handle:
            epochs = len(json.load(handle)["loss"])
        self.assertLess(epochs, 100)
        self.assertEqual(end["reason"], f"stopped after epoch {epochs}")
        self.assertIn(f"fit returned after {epochs} epoch(s)", out)
        self.assertIn(f"listening on {sock}", err)

    def test_numpy_loop_script(self):
        sock = os.path.join(self.dir, "loop.sock")
        process = self.start("numpy_loop.py", "--listen", sock, "--epochs", "1000", "--delay", "0.001")
        client = Client(sock, timeout=30)
        self.addCleanup(client.close)
        hello, _, _ = client.read_history()
        self.assertEqual(hello["name"], "numpy-loop")
        client.read_until(lambda m: m["type"] == "epoch")
        path = os.path.join(self.dir, "w.npy")
        ack = client.ack(client.command("checkpoint", path=path))
        self.assertEqual(ack["applied"], {"path": path})
        self.assertTrue(os.path.getsize(path) > 0)
        self.assertTrue(client.ack(client.command("stop"))["ok"])
        end = client.read_type("end")
        process.communicate(timeout=30)
        self.assertEqual(process.returncode, 0)
        self.assertRegex(end["reason"], r"^stopped after epoch [1-9][0-9]*$")


if __name__ == "__main__":
    unittest.main()
