"""Reference HDF5 files for tests/io/test_h5_frames.c, written by h5py + hdf5plugin (the filters
come from Debian's plugin directory: hdf5-filter-plugin for LZ4 32004, bitshuffle for 32008).

  h5_reference.py write DIR   writes DIR/<case>.h5 and DIR/<case>.bin (the frames, raw
                              little-endian C order) for every case, and DIR/cases.txt:
                              "<case> <address> <dtype> <nframes> <height> <width> <codec>"
  h5_reference.py check FILE DSET BIN DTYPE
                              reads FILE[DSET] with h5py and compares it bit for bit with BIN
                              (files written by beamflow); exit status 0 when equal.
"""
import os
import sys

import h5py
import hdf5plugin
import numpy as np


def frames(rng, dtype, n, h, w, busy=True):
    dt = np.dtype(dtype)
    info = np.iinfo(dt) if dt.kind in "iu" else None
    a = rng.poisson(40.0 if busy else 0.05, size=(n, h, w)).astype(dt)
    # a few pixels over the full range, so that every bit plane is exercised
    k = max(1, a.size // 50)
    idx = rng.integers(0, a.size, size=k)
    if info is not None:
        a.flat[idx] = rng.integers(info.min, info.max, size=k, dtype=dt, endpoint=True)
    else:
        a.flat[idx] = rng.standard_normal(k).astype(dt) * 1e6
    if info is not None and info.min < 0:
        a[:, 0, :] = -1  # detector gaps
    return a


def bshuf(nelems=0):
    return hdf5plugin.Bitshuffle(nelems=nelems, cname="lz4")


def write(d):
    rng = np.random.default_rng(20261122)
    cases = []

    def add(name, dset, data, chunks, codec, fmt="<", userblock=0, **kw):
        path = os.path.join(d, name + ".h5")
        with h5py.File(path, "w", userblock_size=userblock) as f:
            f.create_dataset(dset, data=data.astype(data.dtype.newbyteorder(fmt)),
                             chunks=chunks, **kw)
        data.astype(data.dtype.newbyteorder("<")).tofile(os.path.join(d, name + ".bin"))
        n, h, w = data.shape if data.ndim == 3 else (1,) + data.shape
        cases.append(f"{name} {path}::{dset} {data.dtype.name} {n} {h} {w} {codec}")

    add("lz4_i32", "/entry_0000/measurement/data", frames(rng, "int32", 5, 37, 41),
        (1, 37, 41), "lz4", **hdf5plugin.LZ4())
    add("lz4_u16_3pc", "/data", frames(rng, "uint16", 7, 33, 29), (3, 33, 29), "lz4",
        **hdf5plugin.LZ4(nbytes=1000))
    add("lz4_u32_sparse", "/data", frames(rng, "uint32", 4, 64, 80, busy=False),
        (2, 64, 80), "lz4", **hdf5plugin.LZ4(nbytes=4096))
    add("lz4_f32", "/data", frames(rng, "float32", 3, 20, 21), (1, 20, 21), "lz4",
        **hdf5plugin.LZ4())
    add("bs_i32", "/data", frames(rng, "int32", 5, 37, 41), (1, 37, 41), "bitshuffle-lz4",
        **bshuf())
    add("bs_i32_big", "/data", frames(rng, "int32", 2, 300, 301), (1, 300, 301),
        "bitshuffle-lz4", **bshuf())
    add("bs_u32_2pc", "/data", frames(rng, "uint32", 5, 67, 129), (2, 67, 129),
        "bitshuffle-lz4", **bshuf(nelems=256))
    add("bs_u16", "/data", frames(rng, "uint16", 4, 50, 51), (1, 50, 51), "bitshuffle-lz4",
        **bshuf())
    add("bs_u8", "/data", frames(rng, "uint8", 3, 19, 23), (1, 19, 23), "bitshuffle-lz4",
        **bshuf())
    add("bs_f64", "/data", frames(rng, "float64", 2, 17, 19), (2, 17, 19), "bitshuffle-lz4",
        **bshuf(nelems=64))
    add("raw_i32", "/data", frames(rng, "int32", 3, 20, 30), (1, 20, 30), "none")
    add("gzip_u16", "/data", frames(rng, "uint16", 3, 20, 30), (2, 20, 30), "hdf5",
        compression="gzip")
    add("contig_f32", "/data", frames(rng, "float32", 2, 10, 12), None, "none")
    add("contig_u16_userblock", "/data", frames(rng, "uint16", 3, 10, 12), None, "none",
        userblock=1024)
    add("lz4_i32_userblock", "/data", frames(rng, "int32", 3, 21, 22), (1, 21, 22), "lz4",
        userblock=512, **hdf5plugin.LZ4())
    add("lz4_be_i32", "/data", frames(rng, "int32", 2, 10, 12), (1, 10, 12), "hdf5", fmt=">",
        **hdf5plugin.LZ4())
    add("split_u16", "/data", frames(rng, "uint16", 2, 40, 40), (1, 20, 20), "hdf5",
        **hdf5plugin.LZ4())
    add("image2d_u16", "/mask", frames(rng, "uint16", 1, 30, 31)[0], (30, 31), "lz4",
        **hdf5plugin.LZ4())

    # Dectris NeXus: master file with external links to data files (3 + 2 frames)
    parts = [frames(rng, "uint32", 3, 20, 24), frames(rng, "uint32", 2, 20, 24)]
    for i, p in enumerate(parts, 1):
        with h5py.File(os.path.join(d, f"dectris_data_{i:06d}.h5"), "w") as f:
            f.create_dataset("/entry/data/data", data=p, chunks=(1, 20, 24), **bshuf())
    master = os.path.join(d, "dectris_master.h5")
    with h5py.File(master, "w") as f:
        g = f.create_group("/entry/data")
        for i in range(1, len(parts) + 1):
            g[f"data_{i:06d}"] = h5py.ExternalLink(f"dectris_data_{i:06d}.h5", "/entry/data/data")
    np.concatenate(parts).tofile(os.path.join(d, "dectris_master.bin"))
    cases.append(f"dectris_master {master} uint32 5 20 24 bitshuffle-lz4")

    # a virtual dataset over two LZ4 files: read through H5Dread
    src = [frames(rng, "int32", 2, 16, 18), frames(rng, "int32", 3, 16, 18)]
    layout = h5py.VirtualLayout(shape=(5, 16, 18), dtype="int32")
    start = 0
    for i, s in enumerate(src):
        name = os.path.join(d, f"vds_src{i}.h5")
        with h5py.File(name, "w") as f:
            f.create_dataset("data", data=s, chunks=(1, 16, 18), **hdf5plugin.LZ4())
        layout[start:start + len(s)] = h5py.VirtualSource(name, "data", shape=s.shape)
        start += len(s)
    vds = os.path.join(d, "vds.h5")
    with h5py.File(vds, "w") as f:
        f.create_virtual_dataset("/entry/data/data", layout)
    np.concatenate(src).tofile(os.path.join(d, "vds.bin"))
    cases.append(f"vds {vds} int32 5 16 18 lz4")

    # a VDS over frames 1-4 of a bitshuffle file with 2 frames per chunk, named relative to it
    s6 = frames(rng, "uint16", 6, 12, 10)
    with h5py.File(os.path.join(d, "vds_skip_src.h5"), "w") as f:
        f.create_dataset("/entry/data/data", data=s6, chunks=(2, 12, 10), **bshuf())
    layout = h5py.VirtualLayout(shape=(4, 12, 10), dtype="uint16")
    layout[0:4] = h5py.VirtualSource("vds_skip_src.h5", "/entry/data/data", shape=s6.shape)[1:5]
    name = os.path.join(d, "vds_skip.h5")
    with h5py.File(name, "w") as f:
        f.create_virtual_dataset("/entry/data/data", layout)
    s6[1:5].tofile(os.path.join(d, "vds_skip.bin"))
    cases.append(f"vds_skip {name}::/entry/data/data uint16 4 12 10 bitshuffle-lz4")

    # a VDS with unmapped frames (fill value 0): only H5Dread knows
    layout = h5py.VirtualLayout(shape=(4, 16, 18), dtype="int32")
    layout[0:2] = h5py.VirtualSource(os.path.join(d, "vds_src0.h5"), "data", shape=(2, 16, 18))
    name = os.path.join(d, "vds_gap.h5")
    with h5py.File(name, "w") as f:
        f.create_virtual_dataset("/data", layout, fillvalue=0)
    np.concatenate([src[0], np.zeros((2, 16, 18), "int32")]).tofile(
        os.path.join(d, "vds_gap.bin"))
    cases.append(f"vds_gap {name}::/data int32 4 16 18 hdf5")

    with open(os.path.join(d, "cases.txt"), "w") as f:
        f.write("\n".join(cases) + "\n")


def check(path, dset, binpath, dtype):
    with h5py.File(path, "r") as f:
        a = f[dset][()]
    b = np.fromfile(binpath, dtype=np.dtype(dtype).newbyteorder("<"))
    if a.dtype != b.dtype or a.size != b.size or not np.array_equal(a.ravel(), b):
        print(f"{path}::{dset}: h5py reads {a.dtype} {a.shape}, differs from {binpath}")
        return 1
    filters = f"{f[dset]._filters}" if False else ""
    print(f"{path}::{dset}: {a.shape} {a.dtype} equal {filters}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write(sys.argv[2])
    elif len(sys.argv) == 6 and sys.argv[1] == "check":
        sys.exit(check(*sys.argv[2:]))
    else:
        sys.exit(__doc__)
