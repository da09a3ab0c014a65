#!/usr/bin/env python3
"""The reference side of `beamflow bench pipeline`: the same files read with h5py + hdf5plugin
(decode only), and read + integrated with pyFAI + written as HDF5 (end to end), as a Python user
would do it today. Usage: pipeline_reference.py PONI DATASET NPT MAXFRAMES FILE... Prints one JSON
object with frames/s. Run with OMP_NUM_THREADS=1 and glibc's malloc tuned (set by the caller)."""
import json
import os
import sys
import tempfile
import time

import h5py
import hdf5plugin  # noqa: F401  (registers the LZ4 / bitshuffle filters)
import numpy
import pyFAI

poni, dataset, npt, max_frames, files = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]

t0 = time.perf_counter()
decoded = 0
for path in files:
    with h5py.File(path, "r") as f:
        d = f[dataset]
        for i in range(d.shape[0]):
            d[i]
            decoded += 1
decode_fps = decoded / (time.perf_counter() - t0)

ai = pyFAI.load(poni)
done = 0
out = tempfile.mkdtemp()
t0 = time.perf_counter()
for path in files:
    with h5py.File(path, "r") as f:
        d = f[dataset]
        n = min(d.shape[0], max_frames - done)
        I = numpy.empty((n, npt), numpy.float32)
        sigma = numpy.empty((n, npt), numpy.float32)
        for i in range(n):
            r = ai.integrate1d(d[i], npt, unit="2th_deg", method=("bbox", "csr", "cython"),
                               error_model="poisson", polarization_factor=1.0)
            I[i], sigma[i] = r.intensity, r.sigma
        with h5py.File(os.path.join(out, os.path.basename(path)), "w") as o:
            o["I"], o["I_errors"], o["radial"] = I, sigma, r.radial
        done += n
    if done >= max_frames:
        break
e2e_fps = done / (time.perf_counter() - t0)
print(json.dumps({"decode_fps": decode_fps, "end_to_end_fps": e2e_fps, "frames": done,
                  "pyfai": pyFAI.version}))
