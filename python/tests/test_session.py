"""trainboard.Session in a plain NumPy training loop, steered by the test's own protocol client."""

import json
import os
import shutil
import stat
import tempfile
import threading
import time
import unittest

import numpy as np

from _client import Client, wait_for
from trainboard import Session, apply_lr_to_torch


class NumpyLoop(threading.Thread):
    """Logistic regression by minibatch SGD, written by hand, with the session's steering applied after each batch."""

    def __init__(self, session, epochs=200, steps=8, lr=0.1, delay=0.004, checkpoint_dir="."):
        super().__init__(daemon=True)
        self.session, self.epochs, self.steps, self.lr, self.delay = session, epochs, steps, lr, delay
        self.checkpoint_dir = checkpoint_dir
        rng = np.random.default_rng(0)
        self.x = rng.normal(size=(steps * 16, 5))
        self.y = (self.x @ np.array([1.0, -2.0, 0.5, 0.0, 1.5]) > 0).astype(float)
        self.w = np.zeros(5)
        self.lr_used = {}          # update -> learning rate used by that update
        self.updates = 0           # the loop's own update counter
        self.saved = {}            # checkpoint path -> weights at that moment
        self.stopped = False
        self.epochs_done = 0

    def handle(self, command):
        if command.command in ("set_lr", "scale_lr"):
            self.lr = command.new_learning_rate(self.lr)
            command.ack(applied={"learning_rate": self.lr}, update=self.updates + 1)   # the first update at the new rate
        elif command.command == "stop":
            self.stopped = True
            command.ack(applied={"stop": True}, update=self.updates)
        elif command.command == "checkpoint":
            path = command.path or os.path.join(self.checkpoint_dir, f"w-{self.updates}.npy")
            np.save(path, self.w)
            self.saved[path] = self.w.copy()
            command.ack(applied={"path": path}, update=self.updates)
            self.session.event("checkpoint", "weights saved", path=path)

    def run(self):
        session = self.session
        for epoch in range(self.epochs):
            for step in range(self.steps):
                xb, yb = self.x[step * 16:(step + 1) * 16], self.y[step * 16:(step + 1) * 16]
                p = 1 / (1 + np.exp(-(xb @ self.w)))
                loss = float(-np.mean(yb * np.log(p + 1e-12) + (1 - yb) * np.log(1 - p + 1e-12)))
                self.w -= self.lr * xb.T @ (p - yb) / len(yb)
                self.updates += 1
                self.lr_used[self.updates] = self.lr
                session.log_batch(epoch, step, {"loss": loss}, learning_rate=self.lr, update=self.updates)
                session.serve(self.handle)
                time.sleep(self.delay)
                if self.stopped:
                    break
            session.log_epoch(epoch, {"loss": loss}, learning_rate=self.lr)
            self.epochs_done = epoch + 1
            if self.stopped:
                break
        session.close(f"stopped after epoch {epoch + 1}" if self.stopped else f"completed {self.epochs} epochs")


class SessionTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tb-session-")
        os.environ["XDG_RUNTIME_DIR"] = self.dir
        self.addCleanup(shutil.rmtree, self.dir, True)

    def client(self, *args, **kwargs):
        client = Client(*args, **kwargs)
        self.addCleanup(client.close)
        return client

    def test_numpy_loop_pause_set_lr_checkpoint_detach_reattach_stop(self):
        session = Session(name="numpy-loop", framework=f"numpy {np.__version__}", epochs=200, steps_per_epoch=8,
                          batch_size=16, metrics=["loss"], learning_rate=0.1, announce=False)
        loop = NumpyLoop(session, checkpoint_dir=self.dir)
        loop.start()
        client = self.client(session.socket_path)
        hello, history, count = client.read_history()
        self.assertEqual((hello["name"], hello["epochs"], hello["steps_per_epoch"]), ("numpy-loop", 200, 8))
        self.assertEqual(len(history), count)
        client.read_until(lambda m: m["type"] == "batch" and m["update"] >= 3)

        id = client.command("pause")
        self.assertTrue(client.ack(id)["ok"])
        counted = loop.updates
        quiet = client.drain(2.0)
        self.assertEqual(loop.updates, counted, "the loop ran batches while paused")
        self.assertEqual([m for m in quiet if m["type"] == "batch"], [])
        # A second client attaching while paused is told so in hello.
        other = self.client(session.socket_path)
        other.next_id = 100   # ids are the client's own: keep them apart from the first client's
        self.assertEqual(other.read_history()[0]["state"], "paused")

        # checkpoint while paused: served at once, with the weights of that moment.
        path = os.path.join(self.dir, "w.npy")
        id = other.command("checkpoint", path=path)
        ack = client.ack(id)                     # every client sees every ack
        self.assertTrue(ack["ok"])
        self.assertEqual(ack["from"], 2)
        self.assertEqual(ack["applied"]["path"], path)
        np.testing.assert_array_equal(np.load(path), loop.w)
        self.assertEqual(loop.updates, counted)

        id = client.command("set_lr", value=0.02)
        ack = client.ack(id)
        # the ack names the first update at the new rate: updates done + 1
        self.assertEqual((ack["ok"], ack["applied"]["learning_rate"], ack["update"]), (True, 0.02, counted + 1))
        self.assertTrue(client.ack(client.command("resume"))["ok"])
        first = client.read_until(lambda m: m["type"] == "batch" and m["update"] == counted + 1)
        self.assertEqual(first["learning_rate"], 0.02)
        self.assertEqual((loop.lr_used[counted], loop.lr_used[counted + 1]), (0.1, 0.02))

        # detach both; the loop goes on; re-attach: full history, contiguous updates.
        client.close()
        other.close()
        wait_for(lambda: loop.updates >= counted + 30, what="the loop to go on while detached")
        again = self.client(session.socket_path)
        hello, history, count = again.read_history()
        self.assertEqual(len(history), count)
        updates = [m["update"] for m in history if m["type"] == "batch"]
        self.assertEqual(updates, list(range(1, len(updates) + 1)))
        self.assertEqual([m["command"] for m in history if m["type"] == "ack"],
                         ["pause", "checkpoint", "set_lr", "resume"])
        self.assertEqual(hello["learning_rate"], 0.02)

        id = again.command("stop")
        self.assertTrue(again.ack(id)["ok"])
        end = again.read_type("end")
        loop.join(10)
        self.assertFalse(loop.is_alive())
        self.assertTrue(loop.stopped)
        self.assertLess(loop.epochs_done, 200)
        self.assertEqual(end["reason"], f"stopped after epoch {loop.epochs_done}")
        self.assertEqual(end["update"], loop.updates)
        self.assertTrue(again.drain(2.0) == [] and again.closed, "the run did not close the connection after end")
        self.assertFalse(os.path.exists(session.socket_path))

    def test_files_modes_and_cleanup(self):
        session = Session(name="mode check!", announce=False)
        directory = os.path.join(self.dir, "trainboard")
        self.assertEqual(session.name, "mode-check-")
        self.assertEqual(stat.S_IMODE(os.stat(directory).st_mode), 0o700)
        self.assertEqual(session.socket_path, os.path.join(directory, f"mode-check--{os.getpid()}.sock"))
        self.assertEqual(stat.S_IMODE(os.stat(session.socket_path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(session.discovery_file).st_mode), 0o600)
        with open(session.discovery_file) as handle:
            record = json.load(handle)
        self.assertEqual((record["v"], record["pid"], record["socket"], record["tcp"], record["token_file"]),
                         (1, os.getpid(), session.socket_path, None, None))
        session.close()
        self.assertEqual(os.listdir(directory), [])

    def test_refuses_an_unsafe_directory_and_foreign_files(self):
        os.mkdir(os.path.join(self.dir, "trainboard"), 0o755)
        os.chmod(os.path.join(self.dir, "trainboard"), 0o755)
        with self.assertRaisesRegex(OSError, "must be private"):
            Session(announce=False)
        os.chmod(os.path.join(self.dir, "trainboard"), 0o700)
        precious = os.path.join(self.dir, "precious.txt")
        with open(precious, "w") as handle:
            handle.write("data")
        with self.assertRaisesRegex(OSError, "not a socket"):
            Session(listen=precious, announce=False)
        with open(precious) as handle:
            self.assertEqual(handle.read(), "data")
        # a live run's socket is not taken over; a dead run's is
        live = Session(listen=os.path.join(self.dir, "live.sock"), announce=False)
        self.addCleanup(live.close)
        with self.assertRaisesRegex(OSError, "in use"):
            Session(listen=live.socket_path, announce=False)

    def test_commands_checked_and_acked_to_every_client(self):
        session = Session(announce=False, learning_rate=0.1, commands=["pause", "resume", "set_lr", "scale_lr"])
        self.addCleanup(session.close)
        a, b = self.client(session.socket_path), self.client(session.socket_path)
        a.read_history(), b.read_history()
        for arguments, fragment in [({"command": "set_lr", "value": -1}, "value >= 0"),
                                    ({"command": "set_lr", "value": "NaN"}, "finite"),
                                    ({"command": "set_lr", "value": True}, "finite"),
                                    ({"command": "set_lr"}, "finite"),
                                    ({"command": "scale_lr", "value": 0}, "> 0"),
                                    ({"command": "checkpoint"}, "does not accept checkpoint"),
                                    ({"command": "explode"}, "unknown command")]:
            id = a.command(arguments.pop("command"), **arguments)
            for client in (a, b):
                ack = client.ack(id)
                self.assertFalse(ack["ok"], ack)
                self.assertIn(fragment, ack["message"])
                self.assertEqual(ack["from"], 1)
        self.assertEqual(session.poll(), [])
        # malformed lines: an error to the sender only, the connection stays
        a.send_raw(b'{"v":2,"type":"ping","id":4}\n{"v":1,"type":"hello"}\n[1,2]\n{"v":1,"type":"ping","id":"x"}\n')
        errors = [a.read_type("error") for _ in range(4)]
        self.assertEqual(errors[0]["id"], 4)
        self.assertIn("version", errors[0]["message"])
        self.assertIn("unknown message type", errors[1]["message"])
        self.assertIn("JSON object", errors[2]["message"])
        self.assertIn("id", errors[3]["message"])
        a.send({"v": 1, "type": "ping", "id": 77})
        self.assertEqual(a.read_type("pong")["id"], 77)
        self.assertEqual([m for m in b.drain(0.3) if m["type"] in ("error", "pong")], [])
        # a valid command reaches poll with its argument, and its ack updates the run's learning rate
        id = b.command("scale_lr", value=0.5)
        wait_for(lambda: session._commands.qsize() == 1, what="the command")
        [command] = session.poll()
        self.assertEqual((command.command, command.value, command.id, command.origin), ("scale_lr", 0.5, id, 2))
        command.ack(applied={"learning_rate": command.new_learning_rate(session.learning_rate)})
        self.assertEqual(a.ack(id)["applied"]["learning_rate"], 0.05)
        self.assertEqual(session.learning_rate, 0.05)
        self.assertRaises(RuntimeError, command.ack)

    def test_apply_lr_to_torch_sets_every_param_group(self):
        class Optimizer:   # the shape of torch.optim.Optimizer's param_groups (torch itself is not needed)
            param_groups = [{"lr": 0.1, "params": []}, {"lr": 0.01, "params": []}]

        session = Session(announce=False)
        self.addCleanup(session.close)
        client = self.client(session.socket_path)
        client.read_history()
        optimizer = Optimizer()
        id = client.command("scale_lr", value=0.5)
        wait_for(lambda: session._commands.qsize() == 1, what="the command")
        [command] = session.poll()
        self.assertEqual(apply_lr_to_torch(optimizer, command), 0.05)
        self.assertEqual([g["lr"] for g in optimizer.param_groups], [0.05, 0.005])
        ack = client.ack(id)
        self.assertEqual(ack["applied"], {"learning_rate": 0.05, "param_groups": [0.05, 0.005]})
        id = client.command("set_lr", value=0.2)
        wait_for(lambda: session._commands.qsize() == 1, what="the command")
        [command] = session.poll()
        apply_lr_to_torch(optimizer, command)
        self.assertEqual([g["lr"] for g in optimizer.param_groups], [0.2, 0.2])
        self.assertEqual(client.ack(id)["applied"], {"learning_rate": 0.2})

    def test_history_is_thinned_but_keeps_each_epochs_last_batch(self):
        from trainboard import _wire
        session = Session(announce=False)
        self.addCleanup(session.close)
        old = _wire.MAX_HISTORY_BATCHES
        _wire.MAX_HISTORY_BATCHES = 40
        self.addCleanup(setattr, _wire, "MAX_HISTORY_BATCHES", old)
        for epoch in range(10):
            for batch in range(7):
                session.log_batch(epoch, batch, {"loss": 1.0})
            session.log_epoch(epoch, {"loss": 1.0})
        client = self.client(session.socket_path)
        hello, history, count = client.read_history()
        batches = [m for m in history if m["type"] == "batch"]
        self.assertLessEqual(len(batches), 40)
        self.assertEqual(len([m for m in history if m["type"] == "epoch"]), 10)
        for epoch in range(10):   # each epoch's last batch (batch 6) is kept
            self.assertIn((epoch, 6), [(m["epoch"], m["batch"]) for m in batches])
        self.assertEqual([m["update"] for m in batches], sorted(m["update"] for m in batches))


if __name__ == "__main__":
    unittest.main()
