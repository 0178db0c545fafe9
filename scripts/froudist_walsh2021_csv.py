#!/usr/bin/env python3
"""Derive the CSV tables the `froudist_walsh2021` generator reads from the four MATLAB
files of the authors' repository (seanfw/dopamine-dist-wm, anatomical_data/):

    areas_40.csv   index, area, hierarchy, d1r_density, spine_count,
                   persistent_activity_evidence, well_studied (one row per area)
    fln_40x40.csv  FLN[target, source], header `target\\source,<areas>`
    sln_40x40.csv  SLN[target, source]

Usage: froudist_walsh2021_csv.py MAT_DIR OUT_DIR

Standard library only: a reader of MATLAB 5 MAT-files (level 5, compressed or not;
numeric arrays, char arrays and cells of them — all these files hold). The numbers are
written as Python's repr of the stored doubles, so the output is byte-identical to the
tables the project's CI reads (scripts/fetch_froudist_walsh2021.sh checks their sha256).
"""
import os
import struct
import sys
import zlib

MI_MATRIX, MI_COMPRESSED, MI_UTF8 = 14, 15, 16
NUMERIC = {1: "b", 2: "B", 3: "h", 4: "H", 5: "i", 6: "I", 7: "f", 9: "d", 12: "q", 13: "Q"}
MX_CELL, MX_CHAR = 1, 4


def elements(buf, off, end):
    """(type, payload) of the data elements in buf[off:end]."""
    while off < end:
        typ, n = struct.unpack_from("<II", buf, off)
        if typ >> 16:  # small data element: size in the upper half, payload in 4 bytes
            n, typ = typ >> 16, typ & 0xFFFF
            yield typ, buf[off + 4 : off + 4 + n]
            off += 8
        else:
            yield typ, buf[off + 8 : off + 8 + n]
            # compressed elements are not padded to 8 bytes
            off += 8 + n + (0 if typ == MI_COMPRESSED else (8 - n % 8) % 8)


def matrix(data):
    """(name, dims, values in column-major order) of a miMATRIX payload."""
    els = list(elements(data, 0, len(data)))
    if len(els) < 3:
        raise ValueError("malformed array element")
    cls = struct.unpack_from("<I", els[0][1])[0] & 0xFF
    dims = struct.unpack("<%di" % (len(els[1][1]) // 4), els[1][1])
    name = els[2][1].decode("ascii")
    if cls == MX_CELL:
        return name, dims, [matrix(d)[2] for _, d in els[3:]]
    typ, d = els[3]
    if typ == MI_UTF8:
        vals = list(d.decode("utf-8"))
    elif typ in NUMERIC:
        size = struct.calcsize(NUMERIC[typ])
        vals = list(struct.unpack("<%d%s" % (len(d) // size, NUMERIC[typ]), d))
    else:
        raise ValueError(f"{name}: unsupported data type {typ}")
    if cls == MX_CHAR:
        return name, dims, "".join(v if isinstance(v, str) else chr(v) for v in vals)
    return name, dims, vals


def load(path):
    buf = open(path, "rb").read()
    if not buf[:10].startswith(b"MATLAB 5.0"):
        raise ValueError(f"{path}: not a MATLAB 5 MAT-file")
    out = {}
    for typ, d in elements(buf, 128, len(buf)):
        if typ == MI_COMPRESSED:
            d = zlib.decompress(d)
            typ, d = next(elements(d, 0, len(d)))
        if typ == MI_MATRIX:
            name, dims, vals = matrix(d)
            out[name] = (dims, vals)
    return out


def main(src, dst):
    hier = load(os.path.join(src, "beta_bin_hierarchy_subgraph.mat"))
    d1r = load(os.path.join(src, "D1R_lyon_regions.mat"))
    spines = load(os.path.join(src, "spine_count_lyon_regions.mat"))
    pers = load(os.path.join(src, "persistent_areas_experimental.mat"))
    areas = hier["subgraph_hierarchical_order"][1]
    n = len(areas)
    for f in (d1r, spines, pers):
        if f["subgraph_hierarchical_order"][1] != areas:
            raise ValueError("the files list the areas in different orders")
    col = lambda f, k: f[k][1]
    rows = zip(
        range(n),
        areas,
        col(hier, "hierarchy_vals_subgraph"),
        col(d1r, "D1R_lyon_regions_40"),
        col(spines, "spine_count_lyon_regions_40"),
        col(pers, "persistent_areas_data"),
        col(pers, "well_studied"),
    )
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(dst, "areas_40.csv"), "w") as f:
        f.write(
            "# per-area data for the 40-area subgraph (hierarchical order): beta-binomial "
            "hierarchy (normalised 0..1), D1 receptor density (autoradiography, "
            "Froudist-Walsh 2021), L2/3 pyramidal basal-dendrite spine count (Elston et al., "
            "as compiled in Froudist-Walsh 2021), experimental delay-activity evidence flags\n"
        )
        f.write("index,area,hierarchy,d1r_density,spine_count,persistent_activity_evidence,well_studied\n")
        for i, a, h, d, s, p, w in rows:
            f.write(f"{i},{a},{float(h)!r},{float(d)!r},{float(s)!r},{int(p)},{int(w)}\n")
    for key, name, comment in [
        (
            "HierOrderedFLNsubgraph",
            "fln_40x40.csv",
            "# FLN[target_row, source_col], 40-area Lyon subgraph, hierarchy-ordered; "
            "Froudist-Walsh et al. 2021 (Neuron) from Markov et al. 2014 + later injections.",
        ),
        ("HierOrderedSLNsubgraph", "sln_40x40.csv", "# SLN[target_row, source_col], 40-area subgraph (same order)."),
    ]:
        dims, vals = hier[key]
        if tuple(dims) != (n, n):
            raise ValueError(f"{key}: dims {dims}, expected {n}x{n}")
        with open(os.path.join(dst, name), "w") as f:
            f.write(comment + "\n")
            f.write("target\\source," + ",".join(areas) + "\n")
            for i in range(n):  # column-major: M[i][j] = vals[j * n + i]
                f.write(areas[i] + "," + ",".join(repr(float(vals[j * n + i])) for j in range(n)) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
