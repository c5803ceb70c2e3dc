#!/bin/sh
# venv_check.sh [PYTHON] - pip install ./python offline into a fresh virtual
# environment (system site packages for numpy, no build isolation, no index)
# and use the installed package from outside the repository.
set -eu
py=${1:-/usr/bin/python3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m venv --system-site-packages "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --no-index --no-build-isolation "$repo/python"
cd "$tmp"
"$tmp/venv/bin/python" - "$repo" <<'PY'
import os, sys
import numpy as np
import pat
repo = sys.argv[1]
assert pat.__file__.startswith(sys.prefix), f"pat imported from {pat.__file__}, not the venv"
m = pat.load(os.path.join(repo, "build", "fixtures", "model", "s.safetensors"))
print("venv:", pat.__file__, m.info["architecture"], m.embed(np.zeros(1440, np.float32)).shape)
PY
echo "PASS pip_install_in_fresh_venv"
