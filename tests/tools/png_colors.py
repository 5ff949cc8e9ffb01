#!/usr/bin/env python3
"""Pixel counts of a PNG screenshot, for the plot tests (no imaging library
needed: zlib and the PNG filters only).

    png_colors.py FILE [X0 Y0 X1 Y1] COLOR...

prints "size W H", "inked N" (pixels that are not near white) and, for each
COLOR (#rrggbb), "COLOR N": the pixels within 40 of it in every channel,
counted in the box [X0, X1) x [Y0, Y1) when one is given, else everywhere.
"""
import struct
import sys
import zlib


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG file")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit(f"{path}: only 8-bit RGB/RGBA, non-interlaced PNGs are read")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if width is None:
        raise SystemExit(f"{path}: no IHDR chunk")
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev, at = [], bytearray(stride), 0
    for _ in range(height):
        ftype, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def main(argv):
    path, rest = argv[1], argv[2:]
    width, height, bpp, rows = read_png(path)
    box = (0, 0, width, height)
    if len(rest) >= 4 and not rest[0].startswith("#"):
        box, rest = tuple(int(v) for v in rest[:4]), rest[4:]
    colors = [(c, tuple(int(c[k:k + 2], 16) for k in (1, 3, 5))) for c in rest]
    counts, inked = {c: 0 for c, _ in colors}, 0
    for y in range(max(box[1], 0), min(box[3], height)):
        line = rows[y]
        for x in range(max(box[0], 0), min(box[2], width)):
            px = line[x * bpp:x * bpp + 3]
            if min(px) < 200:
                inked += 1
            for name, rgb in colors:
                if all(abs(px[k] - rgb[k]) <= 40 for k in range(3)):
                    counts[name] += 1
    print(f"size {width} {height}")
    print(f"inked {inked}")
    for name, _ in colors:
        print(f"{name} {counts[name]}")


if __name__ == "__main__":
    main(sys.argv)
