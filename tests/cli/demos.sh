#!/usr/bin/env bash
# The built-in demos through the CLI: their outputs exist, have the right shapes, and the NeXus
# file leads h5py to the curves; a second integrate run with --resume redoes nothing.
source "$(dirname "$0")/lib.bash"

demo_integrate() {
    "$BF" demo integrate --dir di --files 2 --frames 3 --progress none >out.txt || return 1
    for f in di/curve.png di/waterfall.png di/geometry.poni; do [ -s "$f" ] || { echo "no $f"; return 1; }; done
    "$PY" - di/azint/ceo2_0000_azint.h5 <<'PYEOF' || return 1
import sys, h5py
f = h5py.File(sys.argv[1], "r")
d = f[f.attrs["default"]]
d = d[d.attrs["default"]]
assert d["I"].shape == (3, 2500), d["I"].shape
assert d["radial_axis"].attrs["units"] == "degrees"
assert (d["I"][()] > 0).any()
PYEOF
    "$BF" demo integrate --dir di --files 2 --frames 3 --progress none --resume 2>err.txt >/dev/null || return 1
    grep -q "0 units run, 2 already done" err.txt
}
check "demo integrate writes NeXus curves and pictures; --resume redoes nothing" demo_integrate

integrate_files() {
    # the demo's scan again, through `beamflow integrate` with pyFAI's option names and its JSON
    "$BF" integrate -p di/geometry.poni -n 500 -u q_nm^-1 -e poisson -P 0.99 di/scan0001 \
        -o files --scheduler processes --workers 2 --progress none >list.txt || return 1
    [ "$(wc -l <list.txt)" -eq 2 ] || return 1
    printf '{"poni": "di/geometry.poni", "nbpt_rad": 500, "unit": "q_nm^-1", "error_model": "poisson",
             "do_polarization": true, "polarization_factor": 0.99, "method": ["bbox", "csr", "cython"]}' >cfg.json
    "$BF" integrate --json cfg.json 'di/scan0001/*.h5' -o json --progress none >/dev/null || return 1
    "$PY" -c '
import h5py, numpy
a = h5py.File("files/ceo2_0001_azint.h5", "r")["entry/data/I"][()]
b = h5py.File("json/ceo2_0001_azint.h5", "r")["entry/data/I"][()]
assert a.shape == (3, 500) and numpy.array_equal(a, b)' || return 1
    echo '{"nbpt": 3}' >bad.json
    ! "$BF" integrate --json bad.json di/scan0001 2>err.txt && grep -q "unknown key 'nbpt'" err.txt || return 1
    ! "$BF" integrate -p di/geometry.poni no_such.h5 2>err.txt && grep -q "no_such.h5" err.txt
}
check "integrate FILES: flags and pyFAI JSON give the same curves; bad input named" integrate_files

demo_simulate() {
    "$BF" demo simulate --dir ds --progress none >out.txt || return 1
    for f in ds/hrtem.json ds/hrtem.h5 ds/exit_intensity.png ds/hrtem_image.png ds/hrtem.png ds/hrtem.tiff; do
        [ -s "$f" ] || { echo "no $f"; return 1; }
    done
    "$PY" -c '
import numpy, sys
w = numpy.load("ds/exit_wave.npy"); i = numpy.load("ds/intensity.npy")
assert w.dtype == numpy.complex64 and w.shape == (4, 512, 512), (w.dtype, w.shape)
assert i.shape == (512, 512) and abs(i.mean() - 1) < 0.01, i.mean()'
}
check "demo simulate writes the job, exit waves, intensity and pictures" demo_simulate

finish
