"""Trainboard for Python: make a training run attachable by Trainboard's terminal dashboard (`trainboard attach`).

    from trainboard import Session                      # any loop (PyTorch, JAX, NumPy); standard library only
    from trainboard.keras import TrainboardCallback     # Keras 3, every backend

The wire protocol is docs/attach-protocol.md in the Trainboard repository (version 1).
"""

from ._transport import ListenError
from ._wire import COMMANDS, EVENT_KINDS, VERSION
from .session import Command, Session, apply_lr_to_torch

__version__ = "1.0.0"
__all__ = ["Session", "Command", "apply_lr_to_torch", "ListenError", "COMMANDS", "EVENT_KINDS", "VERSION"]
