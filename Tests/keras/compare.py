"""Compares a `trainboard predict` CSV with Keras's predictions (.npy). Usage: compare.py NAME CSV NPY"""
import sys

import numpy as np

from common import check, read_predictions

sys.exit(0 if check(sys.argv[1], read_predictions(sys.argv[2]), np.load(sys.argv[3])) else 1)
