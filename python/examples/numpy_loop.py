#!/usr/bin/env python3
"""A hand-written NumPy training loop (logistic regression by minibatch SGD) that Trainboard can attach to and steer.

    python numpy_loop.py --listen /tmp/loop.sock --epochs 50 --delay 0.01
    trainboard attach /tmp/loop.sock

The same pattern serves a PyTorch loop: call `session.log_batch` after each step and `session.serve(handle)` to apply
commands (`trainboard.apply_lr_to_torch(optimizer, command)` for set_lr/scale_lr).

Made to be driven from scripts and tests:
  --delay SECONDS   sleep after each step (default 0)
  --record FILE     write one JSON line per step: {"update", "learning_rate"}, the update the step made (counted from
                    1) and the rate the step used (to check a set_lr from outside)
  --history FILE    write the epochs' logs at the end, as Keras's History.history: {"loss": [...], "accuracy": [...]}
Exit status 0 when the loop ends (completed or stopped).
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from trainboard import Session


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default=None)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--record", default=None)
    parser.add_argument("--history", default=None)
    args = parser.parse_args()
    if args.epochs < 1 or args.delay < 0:
        parser.error("--epochs must be >= 1 and --delay >= 0")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1024, 8))
    y = (x @ rng.normal(size=8) > 0).astype(float)
    w, lr, steps, batch = np.zeros(8), 0.1, 32, 32
    stop = False
    record = open(args.record, "w") if args.record else None
    history = {"loss": [], "accuracy": []}

    def handle(command):
        nonlocal lr, stop
        if command.command in ("set_lr", "scale_lr"):
            lr = command.new_learning_rate(lr)
            command.ack(applied={"learning_rate": lr})
        elif command.command == "stop":
            stop = True
            command.ack(applied={"stop": True})
        elif command.command == "checkpoint":
            path = command.path or os.path.abspath(f"weights-{session.update}.npy")
            if not path.endswith(".npy"):
                command.ack(ok=False, message="the path must end in .npy")
                return
            np.save(path, w)
            command.ack(applied={"path": path})
            session.event("checkpoint", "weights saved", path=path)

    with Session(listen=args.listen, name="numpy-loop", framework=f"numpy {np.__version__}", epochs=args.epochs,
                 steps_per_epoch=steps, batch_size=batch, metrics=["loss", "accuracy"], learning_rate=lr,
                 model_summary="logistic regression, 8 inputs", params=8) as session:
        for epoch in range(args.epochs):
            for step in range(steps):
                xb, yb = x[step * batch:(step + 1) * batch], y[step * batch:(step + 1) * batch]
                p = 1 / (1 + np.exp(-(xb @ w)))
                w -= lr * xb.T @ (p - yb) / batch
                if record:
                    record.write(json.dumps({"update": session.update + 1, "learning_rate": lr}) + "\n")
                    record.flush()
                loss = float(-np.mean(yb * np.log(p + 1e-12) + (1 - yb) * np.log(1 - p + 1e-12)))
                session.log_batch(epoch, step, {"loss": loss, "accuracy": float(np.mean((p > 0.5) == yb))},
                                  learning_rate=lr)
                session.serve(handle)
                time.sleep(args.delay)
                if stop:
                    break
            p = 1 / (1 + np.exp(-(x @ w)))
            logs = {"loss": float(-np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))),
                    "accuracy": float(np.mean((p > 0.5) == y))}
            session.log_epoch(epoch, logs)
            for key, value in logs.items():
                history[key].append(value)
            print(f"epoch {epoch}: loss {loss:.4f}", flush=True)
            if stop:
                session.close(f"stopped after epoch {epoch + 1}")
                break
    if record:
        record.close()
    if args.history:
        with open(args.history, "w") as handle:
            json.dump(history, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
