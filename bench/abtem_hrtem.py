"""abTEM 1.0.9 on beamflow's `bench hrtem` case, for a ratio measured in the same run.

Au bulk cubic 5x5x2, gpts 512, slice_thickness 2, 200 keV, FrozenPhonons(4, sigmas=0.1, seed=100),
plane wave, mean intensity over the configurations; one cold run (FFTW planning, numba JIT) then
the median of N warm runs, on 1 and 2 Dask thread workers. Prints one JSON line.
Usage: python3 abtem_hrtem.py [N]   (needs abtem==1.0.9, ase, pyfftw: pip, not Debian)"""
import json
import statistics
import sys
import time

import numpy as np
from ase.build import bulk
import abtem

ATOMS = bulk("Au", cubic=True) * (5, 5, 2)


def run(workers):
    phonons = abtem.FrozenPhonons(ATOMS, num_configs=4, sigmas=0.1, seed=100)
    potential = abtem.Potential(phonons, gpts=512, slice_thickness=2)
    exit_waves = abtem.PlaneWave(energy=200e3).multislice(potential)
    mean = exit_waves.intensity().reduce_ensemble()
    return mean.compute(scheduler="threads", num_workers=workers, progress_bar=False)


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    seconds = {}
    for workers in (1, 2):
        result = run(workers)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = run(workers)
            times.append(time.perf_counter() - t0)
        seconds[workers] = statistics.median(times)
    print(json.dumps({"abtem_1_s": seconds[1], "abtem_2_s": seconds[2],
                      "mean_intensity": float(np.mean(result.array))}))


if __name__ == "__main__":
    main()
