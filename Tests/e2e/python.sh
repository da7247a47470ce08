#!/usr/bin/env bash
# The Python package (python/, `pip install ./python`, importable as `trainboard`) against real programs (issue 11):
#   - it installs with pip into the oracles' virtual environment (Tests/e2e/pyvenv.sh: Keras 3, JAX, NumPy from PyPI,
#     cached at .build/oracle-venv) and its core imports nothing beyond the standard library;
#   - python/tests (unittest) with the tests' own protocol client: a real Keras 3 fit on the JAX CPU backend with
#     TrainboardCallback and a hand-written NumPy loop with Session, each paused (no batch for 2 s), given a new
#     learning rate (the optimizer reports it at the next batch), checkpointed (the .keras file loads), detached and
#     re-attached (the whole history replayed) and stopped (History intact); the example programs steered as separate
#     processes; TCP without or with a wrong token refused; another uid (setpriv, as root) kept out of the Unix socket
#     by each of the directory, the socket's mode and SO_PEERCRED; fuzzed streams that do not stop training.
# If the environment cannot be built from PyPI the script fails loudly; it never skips. About 1 min once the
# environment exists. Env: ORACLE_VENV, PYTHON (as pyvenv.sh), TB_FUZZ_SEED (the fuzz test's seed).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
# shellcheck source=Tests/e2e/pyvenv.sh
source "$root/Tests/e2e/pyvenv.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Installed from a copy, so that the build leaves nothing in the source tree; `python -m pip` (not bin/pip, whose
# first line names the interpreter the environment was created with).
cp -R "$root/python" "$work/package"
if ! "$oracle_python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
        "$work/package" 2>&1 | tail -n 20; then
    echo "FAIL python.sh: pip install ./python failed" >&2
    exit 1
fi
if ! (cd "$work" && "$oracle_python" -c '
import sys, trainboard
assert trainboard.__file__.startswith(sys.prefix), f"trainboard imported from {trainboard.__file__}, not the install"
third = sorted({name.split(".")[0] for name in sys.modules} & {"numpy", "keras", "jax", "torch", "tensorflow"})
assert not third, f"import trainboard loaded {third}: the core must use the standard library only"
print("installed", trainboard.__version__, "at", trainboard.__file__)'); then
    echo "FAIL python.sh: the installed package does not import as specified" >&2
    exit 1
fi
cd "$root/python/tests" || exit 2
KERAS_BACKEND=jax JAX_PLATFORMS=cpu PYTHONDONTWRITEBYTECODE=1 "$oracle_python" -m unittest discover -s . -p 'test_*.py' -v
