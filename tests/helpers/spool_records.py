#!/usr/bin/env python3
"""spool_records.py DIR: the records of a hostmond spool, one line each:
"SEGMENT_PATH OFFSET PAYLOAD_LEN SEQ", segments in id order. The format
(agent/spool.h): "HMS1", u32 LE payload length, u32 LE zlib CRC32, payload;
SEQ is the payload's hostmon.v1.Envelope field 4 (a varint). Exits 1 at the
first record that does not check out (bad magic, length past the end, CRC
mismatch, no seq), naming file and offset: it reads spools the agent wrote.
"""
import glob
import os
import struct
import sys
import zlib


def varint(buf, i):
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def envelope_seq(buf):
    """Field 4 of an Envelope: top-level fields only, skipping the others by wire type."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(buf, i)
            if field == 4:
                return v
        elif wire == 2:
            n, i = varint(buf, i)
            i += n
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"wire type {wire}")
    return None


def main():
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.seg"))):
        data = open(path, "rb").read()
        off = 0
        while off < len(data):
            magic, n, crc = struct.unpack_from("<4sII", data, off) if len(data) - off >= 12 else (b"", 0, 0)
            payload = data[off + 12 : off + 12 + n]
            seq = None
            if magic == b"HMS1" and len(payload) == n and zlib.crc32(payload) == crc:
                seq = envelope_seq(payload)
            if seq is None:
                print(f"{path}: bad record at offset {off}", file=sys.stderr)
                return 1
            print(path, off, n, seq)
            off += 12 + n
    return 0


if __name__ == "__main__":
    sys.exit(main())
