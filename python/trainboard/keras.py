"""`TrainboardCallback`: attach Trainboard's dashboard to a Keras 3 `fit` (any backend: JAX, TensorFlow, PyTorch,
NumPy) and steer it: pause, resume, stop, checkpoint, set or scale the learning rate (docs/attach-protocol.md).

    from trainboard.keras import TrainboardCallback
    model.fit(x, y, epochs=10, callbacks=[TrainboardCallback()])   # prints the socket path
    # elsewhere: trainboard attach /run/user/1000/trainboard/mlp-4242.sock

Keras is imported here (not by `import trainboard`); the callback runs on the training thread, like every callback.
"""

import math
import os

import keras
import numpy as np

from .session import Session

__all__ = ["TrainboardCallback"]


def _number(value):
    """A scalar tensor/array/float as a Python float with the shortest repr of its own precision (a float32 0.005 reads
    0.005, not 0.004999999888)."""
    array = np.asarray(keras.ops.convert_to_numpy(value))
    scalar = array.reshape(())[()]
    return float(str(scalar)) if np.issubdtype(array.dtype, np.floating) else float(scalar)


def _metric_name(metric):
    if isinstance(metric, str):
        return metric
    if isinstance(metric, dict):
        return str(metric.get("config", {}).get("name") or metric.get("class_name") or "metric")
    return str(getattr(metric, "name", None) or getattr(metric, "__name__", None) or metric)


class TrainboardCallback(keras.callbacks.Callback):
    """A Keras 3 callback that makes the run attachable (protocol v1).

    Arguments:
      listen: None (default: a new Unix socket in the private run directory, its path printed on standard error), a
        socket path, or "127.0.0.1:PORT" (TCP with a printed token). Any other host raises ListenError.
      name: the run's name (default: the model's name).
      checkpoint_dir: where a `checkpoint` command without a path writes
        `<name>-epoch<E>-update<U>.keras`, E counted from 1 (default: the current directory).
      batch_size: reported in `hello` (Keras does not tell callbacks its batch size); None if not given.
      announce: print the address (default True).

    During `fit` the attribute `session` is the `trainboard.Session` (None before and after). What it does:
    `on_train_begin` listens and publishes hello (the model's summary text, parameter count, epochs, steps per epoch,
    batch size, metric names, learning rate); `on_train_batch_end` publishes the batch logs (Keras's keys) with the
    learning rate used and the update count (`optimizer.iterations`), then applies the commands that arrived: pause
    (waits there, serving commands, until resume or stop), set_lr/scale_lr (`model.optimizer.learning_rate = v`: the
    next batch uses it; the ack's `update` is that next update, `optimizer.iterations` + 1), stop (`model.stop_training =
    True`), checkpoint (`model.save`, written to a temporary file in the same directory and renamed: a crash never
    leaves half a checkpoint under the name); `on_epoch_end` publishes the epoch logs; NaN losses and stops by other
    callbacks (EarlyStopping, TerminateOnNaN) become events; `on_train_end` sends `end` and removes the socket."""

    def __init__(self, listen=None, name=None, checkpoint_dir=None, batch_size=None, announce=True):
        super().__init__()
        self.listen = listen
        self.name = name
        self.checkpoint_dir = checkpoint_dir or os.getcwd()
        self.batch_size = batch_size
        self.announce = announce
        self.session = None
        self._iterations = 0
        self._epoch = 0
        self._lr = None
        self._lr_stale = True
        self._stopped_by_us = False
        self._nan_epoch = None
        self._metrics_seen = False

    # ------------------------------------------------------------------------------------------------- reading --
    def _schedule(self, optimizer):
        rate = getattr(optimizer, "_learning_rate", None)
        return rate if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule) else None

    def _read_lr(self, optimizer, step=None):
        schedule = self._schedule(optimizer)
        try:
            if schedule is not None:
                return _number(schedule(self._iterations if step is None else step))
            return _number(optimizer.learning_rate)
        except Exception:
            return None

    def _summary(self, model):
        lines = []
        try:
            model.summary(print_fn=lambda line, line_break=True: lines.append(str(line)), line_length=100)
        except Exception as error:  # an unbuilt model cannot be summarized
            lines.append(f"{model.name} ({type(error).__name__}: {error})")
        return "\n".join(lines)

    def _metric_names(self, model):
        names = ["loss"]
        try:
            names += [_metric_name(m) for m in (model.get_compile_config() or {}).get("metrics") or []]
        except Exception:
            pass
        return names

    # ----------------------------------------------------------------------------------------------- callbacks --
    def on_train_begin(self, logs=None):
        model = self.model
        optimizer = model.optimizer
        self._iterations = int(_number(optimizer.iterations))
        self._lr = self._read_lr(optimizer)
        self._lr_stale = False
        self._stopped_by_us = False
        self._metrics_seen = False
        try:
            params = int(model.count_params())
        except Exception:
            params = None
        self.session = Session(
            listen=self.listen, name=self.name or model.name,
            framework=f"keras {keras.__version__} ({keras.backend.backend()})", model_summary=self._summary(model),
            params=params, epochs=self.params.get("epochs"), steps_per_epoch=self.params.get("steps"),
            batch_size=self.batch_size, metrics=self._metric_names(model), learning_rate=self._lr,
            announce=self.announce)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._lr_stale = True   # a LearningRateScheduler may set it after us in this same hook

    def on_train_batch_begin(self, batch, logs=None):
        if self._lr_stale and self.session is not None:
            self._lr = self._read_lr(self.model.optimizer)
            self._lr_stale = False

    def on_train_batch_end(self, batch, logs=None):
        session = self.session
        if session is None:
            return
        logs = dict(logs or {})
        optimizer = self._model.optimizer
        used = self._read_lr(optimizer) if self._schedule(optimizer) is not None else self._lr
        self._iterations += 1
        if not self._metrics_seen and logs:
            self._metrics_seen = True
            session.set_info(metrics=sorted(logs))
        session.log_batch(self._epoch, batch, logs, learning_rate=used, update=self._iterations)
        loss = logs.get("loss")
        if isinstance(loss, (int, float)) and not math.isfinite(loss) and self._nan_epoch != self._epoch:
            self._nan_epoch = self._epoch
            session.event("nan", f"loss is {loss} at epoch {self._epoch + 1}, batch {batch}")
        session.serve(self._apply)

    def on_epoch_end(self, epoch, logs=None):
        session = self.session
        if session is None:
            return
        logs = dict(logs or {})
        model = self.model
        self._iterations = int(_number(model.optimizer.iterations))
        if logs and any(key.startswith("val_") for key in logs):
            session.set_info(metrics=sorted(logs))
        session.log_epoch(epoch, logs, learning_rate=self._read_lr(model.optimizer), update=self._iterations)
        self._lr_stale = True

    def on_train_end(self, logs=None):
        session = self.session
        if session is None:
            return
        self.session = None
        model = self._model
        epochs = self.params.get("epochs")
        if getattr(model, "stop_training", False) and not self._stopped_by_us:
            session.event("early_stop", f"training stopped by another callback after epoch {self._epoch + 1}")
        if getattr(model, "stop_training", False):
            # The epoch as Keras prints it ("Epoch 7/200") and the dashboard shows it: the 0-based index + 1.
            reason = f"stopped after epoch {self._epoch + 1}"
        else:
            reason = f"completed {epochs} epochs" if epochs is not None else "completed"
        session.close(reason)

    # ---------------------------------------------------------------------------------------------- commands --
    def _apply(self, command):
        """Applies one command (stop, checkpoint, set_lr, scale_lr) on the training thread and acknowledges it."""
        model = self.model   # with JAX this attaches the training state to the model's variables first
        optimizer = model.optimizer
        self._iterations = int(_number(optimizer.iterations))
        update = self._iterations
        session = self.session
        try:
            if command.command == "stop":
                model.stop_training = True
                self._stopped_by_us = True
                command.ack(applied={"stop_training": True}, update=update,
                            message=f"fit stops after update {update} (epoch {self._epoch + 1})")
                session.event("stop", f"stop requested by client {command.origin}")
            elif command.command in ("set_lr", "scale_lr"):
                if self._schedule(optimizer) is not None:
                    command.ack(ok=False, update=update, message="the optimizer uses a LearningRateSchedule: its "
                                "learning rate cannot be set (Keras raises TypeError)")
                    return
                before = self._read_lr(optimizer)
                optimizer.learning_rate = command.new_learning_rate(before)
                self._lr = self._read_lr(optimizer)
                # The ack names the first update that uses the new rate (updates done + 1), as the protocol says.
                command.ack(applied={"learning_rate": self._lr}, update=update + 1,
                            message=f"learning rate {before:g} -> {self._lr:g} from update {update + 1}")
                session.event("lr_change", f"learning rate {before:g} -> {self._lr:g} by client {command.origin}")
            elif command.command == "checkpoint":
                path = self._checkpoint(model, command.path, update)
                command.ack(applied={"path": path}, update=update, message=f"saved {path}")
                session.event("checkpoint", f"saved at update {update}", path=path)
            else:
                command.ack(ok=False, update=update, message=f"{command.command} is not supported")
        except Exception as error:
            if not command.acked:
                command.ack(ok=False, update=update, message=f"{command.command} failed: {type(error).__name__}: "
                                                             f"{error}"[:1000])

    def _checkpoint(self, model, path, update):
        """Saves `model` to `path` (default `<checkpoint_dir>/<name>-epoch<E>-update<U>.keras`) through a temporary
        file in the same directory; returns the absolute path. Raises ValueError for a path that is not `.keras`/`.h5`,
        whose directory does not exist, or that exists as anything but a regular file (never replaced)."""
        if path is None:
            # Epochs counted from 1 in file names, as Trainboard's and Keras's ModelCheckpoint `{epoch}` count them.
            path = os.path.join(self.checkpoint_dir, f"{self.session.name}-epoch{self._epoch + 1}-update{update}.keras")
        path = os.path.abspath(os.path.expanduser(path))
        extension = ".keras" if path.endswith(".keras") else ".h5" if path.endswith(".h5") else None
        if extension is None:
            raise ValueError(f"checkpoint path {path} must end in .keras (or .h5)")
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            raise ValueError(f"directory {directory} does not exist")
        if os.path.lexists(path) and (os.path.islink(path) or not os.path.isfile(path)):
            raise ValueError(f"{path} exists and is not a regular file: not replacing it")
        temp = os.path.join(directory, f".{os.path.basename(path)[:-len(extension)]}.{os.getpid()}.tmp{extension}")
        try:
            model.save(temp)
            os.replace(temp, path)
        finally:
            if os.path.lexists(temp):
                os.unlink(temp)
        return path
