# The Python oracles' virtual environment (sourced by keras.sh and sklearn.sh): Keras 3, h5py, NumPy, JAX (Keras
# 3.15's numpy backend imports it), pandas and scikit-learn from PyPI, cached at .build/oracle-venv (ORACLE_VENV).
# Built on first use (about 1-2 min; needs python3-venv and PyPI access). If it cannot be built the calling script
# fails loudly: the checks against the real libraries are never skipped.
# Tests/e2e/python.sh also runs Keras on the JAX CPU backend and pip-installs ./python into it.
# Defines: venv (the environment's path) and oracle_python (its interpreter).
venv=${ORACLE_VENV:-$root/.build/oracle-venv}
oracle_packages=(keras h5py numpy jax pandas scikit-learn)
oracle_imports="import keras, h5py, numpy, jax, pandas, sklearn"
if ! KERAS_BACKEND=numpy "$venv/bin/python" -c "$oracle_imports" 2>/dev/null; then
    echo "$(basename "$0"): building the oracle virtual environment in $venv (${oracle_packages[*]} from PyPI)"
    # An existing environment is added to, never removed (ORACLE_VENV may point at one the user keeps).
    if ! "${PYTHON:-python3}" -m venv "$venv" \
        || ! "$venv/bin/pip" install --quiet --disable-pip-version-check "${oracle_packages[@]}" \
        || ! KERAS_BACKEND=numpy "$venv/bin/python" -c "$oracle_imports"; then
        echo "FAIL $(basename "$0"): cannot build the oracle virtual environment in $venv (needs python3-venv and PyPI" \
             "access); the checks against Keras, scikit-learn and pandas were NOT run" >&2
        exit 1
    fi
fi
oracle_python="$venv/bin/python"
