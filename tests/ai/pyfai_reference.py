#!/usr/bin/env python3
"""Reference curves from pyFAI for the C tests in tests/ai/.

usage: pyfai_reference.py CASES.json OUTDIR

CASES.json is a list of cases written by the C test; each names a .poni file and .npy inputs
(frame, optional mask/dark/flat) and the integration options. For each case this writes
OUTDIR/<name>_{radial,intensity,sigma,signal,variance,normalization,count}.npy from pyFAI's
integrate1d_ng with method (split, algo, "cython"). Also, with "detector_masks": [names], writes
OUTDIR/mask_<i>.npy = pyFAI.detector_factory(name).mask. Exits 3 when pyFAI cannot be imported so
that the C test fails (CI installs python3-pyfai), never skips."""
import json
import logging
import os
import sys
import warnings

logging.disable(logging.WARNING)
warnings.simplefilter("ignore")

try:
    import numpy
    import pyFAI
    import pyFAI.detectors
    from pyFAI.azimuthalIntegrator import AzimuthalIntegrator
except ImportError as err:  # the C test reports this as a failure
    print("pyfai_reference.py: cannot import pyFAI: %s" % err, file=sys.stderr)
    sys.exit(3)


def load(path):
    return None if path is None else numpy.load(path)


def main():
    cases_path, outdir = sys.argv[1], sys.argv[2]
    with open(cases_path) as f:
        spec = json.load(f)
    for i, name in enumerate(spec.get("detector_masks", [])):
        mask = pyFAI.detector_factory(name).mask
        numpy.save(os.path.join(outdir, "mask_%d.npy" % i),
                   numpy.zeros((0,), numpy.uint8) if mask is None else mask.astype(numpy.uint8))
    integrators = {}
    for poni in spec.get("geometry_arrays", []):  # per-pixel arrays of one geometry
        ai = AzimuthalIntegrator()
        ai.load(poni)
        stem = os.path.splitext(poni)[0]
        arrays = {"tth": ai.twoThetaArray(), "chi": ai.chiArray(), "q": ai.qArray(),
                  "corners_q": ai.corner_array(unit="q_nm^-1"),
                  "corners_2th": ai.corner_array(unit="2th_deg")}
        for key, value in arrays.items():
            numpy.save("%s_%s.npy" % (stem, key), numpy.ascontiguousarray(value))
    for case in spec.get("cases", []):
        poni = case["poni"]
        if poni not in integrators:  # one integrator per geometry: pyFAI caches its arrays
            integrators[poni] = AzimuthalIntegrator()
            integrators[poni].load(poni)
        ai = integrators[poni]
        # pyFAI reuses a cached CSR engine across calls whose split differs (seen in 0.21.3: a
        # "no" 2D call after a "bbox" one got the bbox matrix): drop engines, keep the arrays.
        ai.reset_engines()
        mask = case.get("mask")
        if mask == "zeros":
            mask = numpy.zeros(ai.detector.shape, numpy.int8)
        else:
            mask = load(mask)
        kwargs = dict(unit=case["unit"],
                      method=(case["split"], case["algo"], "cython"),
                      error_model=case.get("error_model"),
                      polarization_factor=case.get("polarization"),
                      correctSolidAngle=case.get("solid_angle", True),
                      mask=mask, dark=load(case.get("dark")), flat=load(case.get("flat")),
                      dummy=case.get("dummy"), delta_dummy=case.get("delta_dummy"),
                      radial_range=case.get("radial_range"),
                      azimuth_range=case.get("azimuth_range"))
        if case.get("npt_azim"):
            res = ai.integrate2d_ng(load(case["frame"]), case["npt"], case["npt_azim"], **kwargs)
        else:
            res = ai.integrate1d_ng(load(case["frame"]), case["npt"], **kwargs)
        sigma = res.sigma if res.sigma is not None else numpy.zeros_like(res.intensity)
        if sigma.shape != res.intensity.shape and sigma.T.shape == res.intensity.shape:
            # pyFAI 0.21.3's ("no", "histogram") integrate2d_ng returns sigma transposed,
            # (npt, npt_azim) beside an (npt_azim, npt) intensity; its values are
            # sqrt(sum_variance) / sum_normalization of the same cells (checked to 4e-7)
            sigma = sigma.T
        out = {"radial": res.radial, "intensity": res.intensity,
               "sigma": sigma,
               "signal": res.sum_signal, "normalization": res.sum_normalization,
               "count": res.count,
               "variance": res.sum_variance if res.sum_variance is not None
               else numpy.zeros_like(res.intensity)}
        if case.get("npt_azim"):
            out["azimuthal"] = res.azimuthal
        for key, value in out.items():
            numpy.save(os.path.join(outdir, "%s_%s.npy" % (case["name"], key)),
                       numpy.ascontiguousarray(value, dtype=numpy.float64).ravel())
    return 0


if __name__ == "__main__":
    sys.exit(main())
