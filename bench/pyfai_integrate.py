#!/usr/bin/env python3
"""pyFAI's side of `beamflow bench integrate`: the same frame, geometry and options, timed the
same way. Usage: pyfai_integrate.py DIR NPT REPEATS. Prints one JSON object.

Run with OMP_NUM_THREADS set to the cores under test and glibc's malloc tuned so pyFAI's per-call
scratch arrays do not page-fault (MALLOC_MMAP_THRESHOLD_ etc., set by the caller): pyFAI at its
best, not at its default."""
import json
import os
import statistics
import sys
import time

import numpy
import pyFAI

directory, npt, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
frame = numpy.load(os.path.join(directory, "frame.npy"))
mask = numpy.load(os.path.join(directory, "mask.npy"))
kwargs = dict(unit="2th_deg", method=("bbox", "csr", "cython"), error_model="poisson",
              polarization_factor=1.0, correctSolidAngle=True, mask=mask)

t0 = time.perf_counter()
ai = pyFAI.load(os.path.join(directory, "geo.poni"))
ai.integrate1d(frame, npt, **kwargs)
first = time.perf_counter() - t0

times = []
for _ in range(repeats):
    t = time.perf_counter()
    ai.integrate1d(frame, npt, **kwargs)
    times.append(time.perf_counter() - t)
per_frame = statistics.median(times)
print(json.dumps({"build_s": max(first - per_frame, 0.0), "fps": 1.0 / per_frame,
                  "threads": os.environ.get("OMP_NUM_THREADS", "?"), "pyfai": pyFAI.version}))
