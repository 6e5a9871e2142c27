#!/usr/bin/python3
"""fs_preads.py — byte checks of a gzcorefs file against its original.

  fs_preads.py MOUNTED ORIGINAL [--n N] [--seed S] [--span BYTES]
      N random preads (offsets anywhere, near span edges and past EOF;
      lengths from 1 byte to several spans) must return exactly the
      original's bytes. Prints one line and exits 1 on the first mismatch.
  fs_preads.py --eio MOUNTED OFF LEN
      a pread of LEN at OFF must fail with EIO.
  fs_preads.py --holes MOUNTED ORIGINAL
      walks SEEK_DATA/SEEK_HOLE: every hole must be zeros in the original,
      and at least one hole must exist (the cores we test have zero spans).
"""
import errno
import os
import random
import sys


def preads(mounted, original, n, seed, span):
    size = os.path.getsize(original)
    if os.path.getsize(mounted) != size:
        sys.exit(f"size {os.path.getsize(mounted)} != {size}")
    rnd = random.Random(seed)
    fm = os.open(mounted, os.O_RDONLY)
    fo = os.open(original, os.O_RDONLY)
    for i in range(n):
        kind = i % 4
        if kind == 0:
            off = rnd.randrange(0, size)
        elif kind == 1:  # across a span edge
            edge = rnd.randrange(0, size // span + 1) * span
            off = max(0, edge + rnd.randrange(-4096, 4096))
        elif kind == 2:  # at and past EOF
            off = size + rnd.randrange(-8192, 8192)
            off = max(0, off)
        else:
            off = rnd.randrange(0, size)
        ln = rnd.choice([1, 7, 4096, rnd.randrange(1, 65536), rnd.randrange(1, 3 * span)])
        got = os.pread(fm, ln, off)
        want = os.pread(fo, ln, off)
        if got != want:
            sys.exit(f"pread {i}: {ln} bytes at {off}: got {len(got)} bytes, want {len(want)}; differ")
    print(f"ok {n} preads")


def eio(mounted, off, ln):
    fm = os.open(mounted, os.O_RDONLY)
    try:
        os.pread(fm, ln, off)
    except OSError as e:
        if e.errno == errno.EIO:
            print("ok EIO")
            return
        sys.exit(f"got {e}, want EIO")
    sys.exit(f"pread of {ln} at {off} succeeded, want EIO")


def holes(mounted, original):
    size = os.path.getsize(mounted)
    fm = os.open(mounted, os.O_RDONLY)
    fo = os.open(original, os.O_RDONLY)
    off, nholes, hole_bytes = 0, 0, 0
    while off < size:
        try:
            data = os.lseek(fm, off, os.SEEK_DATA)
        except OSError as e:
            if e.errno != errno.ENXIO:
                raise
            data = size
        if data > off:  # a hole [off, data)
            nholes += 1
            hole_bytes += data - off
            pos = off
            while pos < data:
                chunk = os.pread(fo, min(1 << 20, data - pos), pos)
                if chunk.count(0) != len(chunk):
                    sys.exit(f"hole at {off}..{data} holds data near {pos}")
                pos += len(chunk)
        if data >= size:
            break
        off = os.lseek(fm, data, os.SEEK_HOLE)
        if off <= data:
            sys.exit(f"SEEK_HOLE from {data} gave {off}")
    if nholes == 0:
        sys.exit("no hole reported: SEEK_HOLE does not see zero spans")
    print(f"ok {nholes} holes, {hole_bytes} bytes")


def main():
    a = sys.argv[1:]
    if a and a[0] == "--eio":
        return eio(a[1], int(a[2]), int(a[3]))
    if a and a[0] == "--holes":
        return holes(a[1], a[2])
    n, seed, span = 1000, 1, 1 << 20
    pos = []
    i = 0
    while i < len(a):
        if a[i] == "--n":
            n = int(a[i + 1]); i += 2
        elif a[i] == "--seed":
            seed = int(a[i + 1]); i += 2
        elif a[i] == "--span":
            span = int(a[i + 1]); i += 2
        else:
            pos.append(a[i]); i += 1
    preads(pos[0], pos[1], n, seed, span)


main()
