# Shared by scripts/demo and scripts/test: create .venv and install Perch into it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Perch needs Python 3.11 or newer; this is $(python3 --version)." >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv .venv; then
        rm -rf .venv
        echo "python3 cannot create a virtual environment: run 'sudo apt-get install -y python3-venv'." >&2
        exit 2
    fi
fi
.venv/bin/python -m pip install --quiet --upgrade pip
