"""Reference single images for tests/io/test_image.c, written by fabio (CBF byte offset, EDF,
TIFF) and by hand (big-endian EDF, multi-frame EDF), each with DIR/<name>.bin holding the pixels
raw, little-endian, and a line "<name> <file> <dtype> <height> <width>" in DIR/images.txt.

  image_reference.py DIR     exit status 3 when fabio is not installed (the test skips)
"""
import os
import sys

import numpy as np

try:
    import fabio
    from fabio.cbfimage import CbfImage
    from fabio.edfimage import EdfImage
    from fabio.tifimage import TifImage
except ImportError:
    sys.exit(3)


def main(d):
    rng = np.random.default_rng(7)
    lines = []

    def ref(name, path, a):
        a = np.ascontiguousarray(a)
        a.astype(a.dtype.newbyteorder("<")).tofile(os.path.join(d, name + ".bin"))
        lines.append(f"{name} {path} {a.dtype.name} {a.shape[0]} {a.shape[1]}")

    # CBF: Pilatus-like int32 counts with gaps (-1, -2), every escape width of byte offset
    a = rng.poisson(3.0, size=(97, 83)).astype(np.int32)
    a[:, 40:43] = -1
    a[10, 10] = -2
    a[20, 20] = 2**31 - 1
    a[20, 21] = -2**31
    a[30, 30] = 40000
    a[31, 31] = 200
    p = os.path.join(d, "pilatus.cbf")
    CbfImage(data=a).write(p)
    ref("pilatus", p, a)

    for dt in ("uint16", "int32", "float32", "float64", "uint8", "int16", "uint32"):
        a = (rng.random((23, 37)) * 1000).astype(dt)
        p = os.path.join(d, f"img_{dt}.edf")
        EdfImage(data=a, header={"Title": "beamflow test"}).write(p)
        ref(f"edf_{dt}", p, a)

    # big-endian EDF written by hand; and a two-frame EDF (the first frame is read)
    a = (rng.random((11, 13)) * 60000).astype(np.uint16)
    body = a.astype(">u2").tobytes()
    hdr = (f"{{\nHeaderID = EH:000001:000000:000000 ;\nByteOrder = HighByteFirst ;\n"
           f"DataType = UnsignedShort ;\nDim_1 = 13 ;\nDim_2 = 11 ;\nSize = {len(body)} ;\n")
    hdr = hdr + " " * (510 - len(hdr)) + "}\n"
    p = os.path.join(d, "big_endian.edf")
    with open(p, "wb") as f:
        f.write(hdr.encode() + body + hdr.encode() + body)
    ref("edf_be", p, a)

    for dt in ("uint16", "int32", "float32", "uint8"):
        a = (rng.random((19, 29)) * 200).astype(dt)
        p = os.path.join(d, f"img_{dt}.tif")
        TifImage(data=a).write(p)
        ref(f"tif_{dt}", p, a)

    # NPY mask
    m = (rng.random((17, 15)) > 0.9).astype(np.int8)
    p = os.path.join(d, "mask.npy")
    np.save(p, m)
    ref("npy_mask", p, m)

    with open(os.path.join(d, "images.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
