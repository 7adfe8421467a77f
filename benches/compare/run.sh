#!/usr/bin/env bash
# Side-by-side speed comparison of burstsim with Brian2 C++ standalone (and NEST where it
# installs): COBA-4k, COBA-40k and the two-compartment STP network. Not part of the test suite.
#
#   benches/compare/run.sh                      # all three networks, 3 interleaved runs each
#   benches/compare/run.sh coba --runs 1 --duration-ms 1000   # a quick check
#
# Makes a virtual environment under target/compare-venv (override with COMPARE_VENV) on first
# use, with pinned Brian2 (needs a C++ compiler, e.g. g++) and, if it installs, NEST; builds
# burstsim in release mode; then runs compare.py with the given arguments.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${COMPARE_VENV:-$root/target/compare-venv/venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    # Brian2 2.9.0 still calls numpy.ndarray.ptp, which numpy 2 removed: pin numpy < 2.
    "$venv/bin/pip" install --quiet "brian2==2.9.0" "numpy<2" "h5py>=3"
    # Optional third column; the comparison goes on without it.
    "$venv/bin/pip" install --quiet "nest-simulator==3.10.0" "numpy<2" \
        || echo "nest: pip install failed, going on without NEST"
fi
(cd "$root" && cargo build --release --quiet)
exec "$venv/bin/python" "$here/compare.py" "$@"
