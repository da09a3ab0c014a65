#!/usr/bin/env python3
"""Extra abTEM 1.0.9 references for tests/ms (written to tests/ms/data/), beyond shared/refs/abtem.

Run with an interpreter that has abTEM:  python3 -m venv /tmp/abt && /tmp/abt/bin/pip install
abtem==1.0.9 && /tmp/abt/bin/python tests/ms/gen_refs.py tests/ms/data
Each array's parameters are written beside it in params.json.
"""
import json
import os
import sys

import numpy as np
import abtem
from ase import Atoms

abtem.config.set({"precision": "float32", "device": "cpu", "fft": "fftw"})
out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)
params = {"abtem": abtem.__version__}


def save(name, array, **kw):
    np.save(os.path.join(out, name + ".npy"), array)
    params[name] = kw


# 1. CTF kernel with every kind of term
ctf_kw = dict(semiangle_cutoff=25, focal_spread=30, angular_spread=0.5, defocus=120, Cs=-1e4,
              astigmatism=20, astigmatism_angle=0.3, coma=300, coma_angle=1.0, C23=500,
              phi23=0.2, C50=1e6)
ctf = abtem.CTF(energy=200e3, **ctf_kw)
ctf.gpts = (64, 48)
ctf.sampling = (0.1, 0.12)
kernel = np.asarray(ctf._evaluate_kernel()).astype(np.complex64)
save("ctf_64x48", kernel, energy=200e3, gpts=[64, 48], sampling=[0.1, 0.12], **ctf_kw)

# 2. multi-species potentials: SrTiO3 2x2x2, both parametrizations and projections
a = 3.905
sto = Atoms("SrTiO3", scaled_positions=[(0, 0, 0), (.5, .5, .5), (.5, .5, 0), (.5, 0, .5),
                                        (0, .5, .5)], cell=[a, a, a], pbc=True) * (2, 2, 2)
for par in ("lobato", "kirkland"):
    for proj in ("infinite", "finite"):
        pot = abtem.Potential(sto, gpts=64, slice_thickness=1.5, parametrization=par,
                              projection=proj)
        arr = np.asarray(pot.build().compute().array).astype(np.float32)
        save("potential_SrTiO3_%s_%s" % (par, proj), arr, atoms="SrTiO3 perovskite a=3.905 *2x2x2",
             gpts=[64, 64], slice_thickness=1.5, parametrization=par, projection=proj)

# 3. HRTEM image through the CTF: Au cubic (2,2,1), 128², 2 Å slices, plane wave
from ase.build import bulk
au = bulk("Au", cubic=True) * (2, 2, 1)
pot = abtem.Potential(au, gpts=128, slice_thickness=2)
ew = abtem.PlaneWave(energy=200e3).multislice(pot).compute()
img_ctf = abtem.CTF(energy=200e3, defocus=50, Cs=-2e4, semiangle_cutoff=30, focal_spread=20)
img = np.asarray(ew.apply_ctf(img_ctf).intensity().compute().array).astype(np.float32)
save("hrtem_Au221_ctf", img, atoms="bulk('Au', cubic=True)*(2,2,1)", gpts=[128, 128],
     slice_thickness=2, energy=200e3, defocus=50, Cs=-2e4, semiangle_cutoff=30, focal_spread=20)

# 4. Peng parametrization: one Si atom (off-grid) and Au + O, both projections
si = Atoms("Si", positions=[(4.9873, 5.0219, 1)], cell=[10, 10, 2], pbc=True)
auo = Atoms("AuO", positions=[(3.1, 2.2, 1.0), (6.3, 7.1, 2.9)], cell=[10, 9, 4], pbc=True)
for proj in ("infinite", "finite"):
    arr = abtem.Potential(si, gpts=128, slice_thickness=2, parametrization="peng",
                          projection=proj).build().compute().array
    save("potential_Si_peng_%s" % proj, np.asarray(arr).astype(np.float32),
         atoms="Si at (4.9873, 5.0219, 1) in 10x10x2", gpts=[128, 128], slice_thickness=2,
         parametrization="peng", projection=proj)
    arr = abtem.Potential(auo, gpts=(96, 80), slice_thickness=1, parametrization="peng",
                          projection=proj).build().compute().array
    save("potential_AuO_peng_%s" % proj, np.asarray(arr).astype(np.float32),
         atoms="Au (3.1, 2.2, 1.0), O (6.3, 7.1, 2.9) in 10x9x4", gpts=[96, 80],
         slice_thickness=1, parametrization="peng", projection=proj)

with open(os.path.join(out, "params.json"), "w") as f:
    json.dump(params, f, indent=1)
