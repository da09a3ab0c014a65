#!/usr/bin/env bash
# `beamflow integrate` end to end on the input layouts of the field, written by h5py + hdf5plugin
# and fabio as the detectors' software writes them: the ESRF layout (sample/dataset/scanNNNN/
# with a Bliss dataset file beside the scans, LIMA's /entry_0000/measurement/data), a Dectris
# NeXus master with external links to its data files, a virtual dataset, and series of single
# images (CBF, EDF, TIFF, NPY). Each layout's curves must equal those of the same frames integrated
# another way (the frames' own files, or one image at a time through the single-frame path). A
# corrupt chunk fails its unit only, naming file, dataset and frame; --resume reruns only it.
source "$(dirname "$0")/lib.bash"

make_inputs() {
    "$PY" - "$WORK" <<'PYEOF'
import os, sys
import numpy as np, h5py, hdf5plugin, fabio
from fabio.cbfimage import CbfImage
from fabio.edfimage import EdfImage
from fabio.tifimage import TifImage

d = sys.argv[1]
H, W = 48, 64
rng = np.random.default_rng(4)
def frames(n):
    y, x = np.mgrid[0:H, 0:W]
    r = np.hypot(y - 20, x - 30)
    out = np.empty((n, H, W), np.int32)
    for k in range(n):
        out[k] = rng.poisson(50 + 200 * np.exp(-0.5 * ((r - 12 - k) / 1.5) ** 2))
    out[:, 10, :] = -1  # a gap row
    return out

with open(os.path.join(d, "geo.poni"), "w") as f:
    f.write("poni_version: 2\nDetector: Detector\n"
            'Detector_config: {"pixel1": 0.0001, "pixel2": 0.0001, "max_shape": [48, 64]}\n'
            "Distance: 0.05\nPoni1: 0.002\nPoni2: 0.003\nRot1: 0.01\nRot2: 0.02\nRot3: 0\n"
            "Wavelength: 1e-10\n")

# ESRF: sample/dataset/scan000N/pilatus_0000.h5 (LIMA, LZ4, one frame per chunk); the Bliss
# dataset file links to the same frames and must not be integrated twice
ds = os.path.join(d, "sample", "dataset")
for s, n in ((1, 5), (2, 4)):
    sd = os.path.join(ds, f"scan{s:04d}")
    os.makedirs(sd)
    a = frames(n)
    with h5py.File(os.path.join(sd, "pilatus_0000.h5"), "w") as f:
        f.create_dataset("/entry_0000/measurement/data", data=a, chunks=(1, H, W),
                         **hdf5plugin.LZ4())
    np.save(os.path.join(d, f"esrf_scan{s}.npy"), a)
with h5py.File(os.path.join(ds, "sample_dataset.h5"), "w") as f:
    f["/1.1/measurement/pilatus"] = h5py.ExternalLink("scan0001/pilatus_0000.h5",
                                                      "/entry_0000/measurement/data")

# Dectris NeXus: master + data files (bitshuffle-LZ4), all in one folder
dd = os.path.join(d, "dectris")
os.makedirs(dd)
for i, n in ((1, 3), (2, 2)):
    with h5py.File(os.path.join(dd, f"run_data_{i:06d}.h5"), "w") as f:
        f.create_dataset("/entry/data/data", data=frames(n), chunks=(1, H, W),
                         **hdf5plugin.Bitshuffle(cname="lz4"))
with h5py.File(os.path.join(dd, "run_master.h5"), "w") as f:
    g = f.create_group("/entry/data")
    for i in (1, 2):
        g[f"data_{i:06d}"] = h5py.ExternalLink(f"run_data_{i:06d}.h5", "/entry/data/data")

# a virtual dataset over two LZ4 files
vd = os.path.join(d, "vds")
os.makedirs(vd)
layout = h5py.VirtualLayout(shape=(5, H, W), dtype="int32")
start = 0
for i, n in enumerate((2, 3)):
    name = os.path.join(vd, f"src{i}.h5")
    with h5py.File(name, "w") as f:
        f.create_dataset("data", data=frames(n), chunks=(1, H, W), **hdf5plugin.LZ4())
    layout[start:start + n] = h5py.VirtualSource(name, "data", shape=(n, H, W))
    start += n
with h5py.File(os.path.join(d, "vds.h5"), "w") as f:
    f.create_virtual_dataset("/entry/data/data", layout)

# series of single images, one frame per file, as a Pilatus writes them
a = frames(6)
for fmt, ext in (("cbf", "cbf"), ("edf", "edf"), ("tif", "tif"), ("npy", "npy")):
    sd = os.path.join(d, f"{fmt}_series")
    os.makedirs(sd)
    for k in range(len(a)):
        p = os.path.join(sd, f"img_{k:04d}.{ext}")
        if fmt == "cbf":
            CbfImage(data=a[k]).write(p)
        elif fmt == "edf":
            EdfImage(data=a[k]).write(p)
        elif fmt == "tif":
            TifImage(data=a[k]).write(p)
        else:
            np.save(p, a[k])
PYEOF
}

# I of a NeXus output, or several concatenated, as text for cmp
nexus_I() {
    "$PY" -c '
import sys, h5py, numpy as np
a = np.concatenate([h5py.File(p, "r")["/entry/data/I"][()] for p in sys.argv[1:]])
np.savetxt(sys.stdout, a, fmt="%.9g")' "$@"
}

nframes() { "$PY" -c 'import sys, h5py; print(h5py.File(sys.argv[1], "r")["/entry/data/I"].shape[0])' "$1"; }

INT="-p geo.poni -n 40 -e poisson --progress none"

check "generate the layouts (h5py, hdf5plugin, fabio)" make_inputs

esrf_layout() {
    # scans hold files of the same name: one output each needs --per-scan
    ! "$BF" integrate $INT sample -o esrf_bad 2>err.txt || return 1
    grep -q -- "--per-scan" err.txt || { cat err.txt; return 1; }
    "$BF" integrate $INT --per-scan sample -o esrf >/dev/null || return 1
    [ "$(ls esrf | grep -c _azint.h5)" = 2 ] || { ls esrf; return 1; }
    [ "$(nframes esrf/scan0001_azint.h5)" = 5 ] && [ "$(nframes esrf/scan0002_azint.h5)" = 4 ] ||
        return 1
    # the same frames named explicitly, LIMA's dataset found without --dataset
    "$BF" integrate $INT sample/dataset/scan0002/pilatus_0000.h5 -o one.h5 >/dev/null || return 1
    cmp <(nexus_I esrf/scan0002_azint.h5) <(nexus_I one.h5)
}
check "ESRF layout: scans found, the Bliss dataset file skipped, LIMA detected" esrf_layout

dectris_master() {
    "$BF" integrate $INT dectris -o dectris_out/ >/dev/null || return 1
    # the data files are reached through the master's external links, not integrated again
    [ "$(ls dectris_out | grep -c _azint.h5)" = 1 ] || { ls dectris_out; return 1; }
    [ "$(nframes dectris_out/run_master_azint.h5)" = 5 ] || return 1
    "$BF" integrate $INT --dataset /entry/data/data dectris/run_data_00000{1,2}.h5 -o parts \
        >/dev/null || return 1
    cmp <(nexus_I dectris_out/run_master_azint.h5) \
        <(nexus_I parts/run_data_000001_azint.h5 parts/run_data_000002_azint.h5)
}
check "Dectris master: data_* external links joined, data files skipped" dectris_master

virtual_dataset() {
    "$BF" integrate $INT vds.h5 -o vds_out.h5 >/dev/null || return 1
    "$BF" integrate $INT --dataset /data vds/src0.h5 vds/src1.h5 -o vds_parts >/dev/null || return 1
    [ "$(nframes vds_out.h5)" = 5 ] &&
        cmp <(nexus_I vds_out.h5) <(nexus_I vds_parts/src0_azint.h5 vds_parts/src1_azint.h5)
}
check "virtual dataset: frames read from its sources" virtual_dataset

image_series() {
    # one frame at a time through the single-frame path: the reference
    mkdir -p single
    for k in 0 3 5; do
        "$BF" integrate $INT cbf_series/img_000$k.cbf -o single/img_000$k.xy || return 1
    done
    # the folder through the pipeline, 2 workers, 2 frames per unit, one .xy per frame
    "$BF" integrate $INT --workers 2 --frames-per-unit 2 --xy cbf_series -o cbf_out.h5 \
        >/dev/null || return 1
    [ "$(nframes cbf_out.h5)" = 6 ] && [ "$(ls img_*.xy | wc -l)" = 6 ] || return 1
    for k in 0 3 5; do # the same curve; only the "# --> path" line differs
        cmp <(grep -v '^# -->' img_000$k.xy) <(grep -v '^# -->' single/img_000$k.xy) || return 1
    done
    # a glob, EDF and NPY series give the same curves
    "$BF" integrate $INT 'cbf_series/img_*.cbf' -o glob.h5 >/dev/null || return 1
    "$BF" integrate $INT --workers 2 edf_series -o edf.h5 >/dev/null || return 1
    "$BF" integrate $INT --scheduler processes --workers 2 tif_series -o tif.h5 >/dev/null || return 1
    "$BF" integrate $INT npy_series/img_0000.npy npy_series/img_0001.npy npy_series/img_0002.npy \
        npy_series/img_0003.npy npy_series/img_0004.npy npy_series/img_0005.npy -o npy.h5 \
        >/dev/null || return 1
    cmp <(nexus_I cbf_out.h5) <(nexus_I glob.h5) && cmp <(nexus_I cbf_out.h5) <(nexus_I edf.h5) &&
        cmp <(nexus_I cbf_out.h5) <(nexus_I tif.h5) &&
        cmp <(nexus_I cbf_out.h5) <(nexus_I npy.h5)
}
check "image series (CBF, EDF, TIFF, NPY; folder, glob, list) on the engine, .xy per frame" \
    image_series

series_folders() {
    # two folders: one output each, named after the folder, in -o's folder
    "$BF" integrate $INT cbf_series npy_series -o two >/dev/null || return 1
    [ -f two/cbf_series_azint.h5 ] && [ -f two/npy_series_azint.h5 ] || { ls two; return 1; }
    # ... but their .xy files (img_0000.xy ...) would overwrite each other: refused up front
    ! "$BF" integrate $INT --xy cbf_series npy_series -o two_xy/ 2>err.txt || return 1
    grep -q -- "--xy: .*img_0000" err.txt && [ ! -e two_xy/img_0000.xy ] || { cat err.txt; return 1; }
    # images named from inside their folder: the output is named after the folder all the same
    (cd npy_series && "$BF" integrate -p ../geo.poni -n 40 --progress none img_0000.npy \
        img_0001.npy -o ../) >/dev/null || return 1
    [ "$(nframes npy_series_azint.h5)" = 2 ] || { ls; return 1; }
    # one image alone: .xy by default, NeXus when -o says so
    "$BF" integrate $INT npy_series/img_0002.npy -o curve.xy || return 1
    grep -q "^# == pyFAI calibration ==" curve.xy || return 1
    "$BF" integrate $INT npy_series/img_0002.npy -o one_image.h5 >/dev/null || return 1
    [ "$(nframes one_image.h5)" = 1 ]
}
check "series per folder; one image gives .xy, or NeXus with -o x.h5" series_folders

bad_image_in_series() {
    mkdir -p bad_series
    cp cbf_series/*.cbf bad_series/
    head -c 700 cbf_series/img_0004.cbf >bad_series/img_0004.cbf # truncated
    ! "$BF" integrate $INT --frames-per-unit 2 bad_series -o bad_series.h5 2>err.txt || return 1
    grep -q "img_0004.cbf" err.txt && grep -q "frame 4" err.txt || { cat err.txt; return 1; }
    [ ! -e bad_series.h5 ] || return 1
    cp cbf_series/img_0004.cbf bad_series/
    "$BF" integrate $INT --frames-per-unit 2 --resume bad_series -o bad_series.h5 2>resume.log \
        >/dev/null || { cat resume.log; return 1; }
    grep -q "1 units run, 2 already done" resume.log || { cat resume.log; return 1; }
    cmp <(nexus_I bad_series.h5) <(nexus_I cbf_out.h5)
}
check "a broken image fails its unit, naming file and frame; --resume reruns it" bad_image_in_series

bad_inputs_before_work() {
    mkdir -p small && "$PY" -c 'import numpy as np; np.save("small/x.npy", np.ones((10, 12), "int32"))'
    ! "$BF" integrate $INT small -o small.h5 2>err.txt || return 1
    grep -q "10 x 12 pixels but the detector" err.txt || { cat err.txt; return 1; }
    echo "not hdf5" >fake.h5
    ! "$BF" integrate $INT fake.h5 -o fake_out.h5 2>err.txt || return 1
    grep -q "fake.h5: not an HDF5 file" err.txt || { cat err.txt; return 1; }
    ! "$BF" integrate $INT --dataset /entry/nothing sample/dataset/scan0001/pilatus_0000.h5 \
        -o none.h5 2>err.txt || return 1
    grep -q "pilatus_0000.h5::/entry/nothing" err.txt || { cat err.txt; return 1; }
    [ ! -e small.h5 ] && [ ! -e fake_out.h5 ] && [ ! -e none.h5 ]
}
check "wrong frame shape, not HDF5, missing dataset: refused before work" bad_inputs_before_work

corrupt_chunk_and_resume() {
    mkdir -p scans
    cp sample/dataset/scan0001/pilatus_0000.h5 scans/a.h5
    cp sample/dataset/scan0002/pilatus_0000.h5 scans/b.h5
    cp scans/a.h5 a_good.h5
    "$PY" - scans/a.h5 <<'PYEOF' || return 1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    d = f["/entry_0000/measurement/data"]
    info = d.id.get_chunk_info_by_coord((3, 0, 0))
with open(sys.argv[1], "r+b") as f:
    f.seek(info.byte_offset + 12)
    f.write(b"\xa5" * 64)
open("chunk3.off", "w").write(str(info.byte_offset + 12))
PYEOF
    ! "$BF" integrate $INT --workers 2 scans -o scans_out 2>err.txt || return 1
    grep -q "a.h5::/entry_0000/measurement/data" err.txt && grep -q "frames 3" err.txt ||
        { cat err.txt; return 1; }
    grep -q "1 failed" err.txt || { cat err.txt; return 1; }
    [ -f scans_out/b_azint.h5 ] && [ ! -e scans_out/a_azint.h5 ] || { ls scans_out; return 1; }
    cp a_good.h5 scans/a.h5
    "$BF" integrate $INT --workers 2 --resume scans -o scans_out 2>resume.log >/dev/null || return 1
    grep -q "1 units run, 1 already done" resume.log || { cat resume.log; return 1; }
    cmp <(nexus_I scans_out/a_azint.h5) <(nexus_I esrf/scan0001_azint.h5) || return 1
    # --per-scan: both files go to one output, so the finished file's curves must be replayed
    # from the journal into it when only the other one is rerun
    cp scans/a.h5 a_good.h5
    "$PY" -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); f.write(b"\xa5" * 64)' \
        scans/a.h5 "$(cat chunk3.off)"
    ! "$BF" integrate $INT --per-scan scans -o per_scan/ 2>err.txt || return 1
    [ ! -e per_scan/scans_azint.h5 ] || return 1
    cp a_good.h5 scans/a.h5
    "$BF" integrate $INT --per-scan --resume scans -o per_scan/ 2>resume.log >/dev/null ||
        { cat resume.log; return 1; }
    grep -q "1 units run, 1 already done" resume.log || { cat resume.log; return 1; }
    cmp <(nexus_I per_scan/scans_azint.h5) <(nexus_I scans_out/a_azint.h5 scans_out/b_azint.h5)
}
check "corrupt chunk: unit fails naming file, dataset, frame; others kept; --resume" \
    corrupt_chunk_and_resume

finish
