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
