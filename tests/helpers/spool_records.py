#!/usr/bin/env python3
"""spool_records.py DIR: the records of a hostmond spool, one line each:
"SEGMENT_PATH OFFSET PAYLOAD_LEN SEQ", segments in id order. The formats
(agent/sinks/spool.h), little-endian, either in any segment:
  "HMS2": magic, u32 payload length, u32 zlib CRC32 of header bytes 0-7 and
          12-31 then the payload, u32 kind, u64 seq, u64 ts_ns; payload
  "HMS1": magic, u32 payload length, u32 zlib CRC32 of the payload; payload
SEQ is the payload's hostmon.v1.Envelope field 4 (a varint); in a v2 record
the header's seq must be the same. Exits 1 at the first record that does not
check out (bad magic, length past the end, CRC mismatch, no seq, header and
envelope disagreeing), naming file and offset: it reads spools the agent wrote.
"""
import glob
import os
import struct
import sys
import zlib

HEADERS = {b"HMS2": 32, b"HMS1": 12}


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


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC32C_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli) of data, chained as zlib.crc32 is: the HMS2 header's checksum."""
    c = crc ^ 0xFFFFFFFF
    for b in data:
        c = CRC32C_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def record(data, off):
    """(header length, payload length, seq) of the record at off, or None if it does not check out."""
    hdr = HEADERS.get(data[off : off + 4])
    if hdr is None or len(data) - off < hdr:
        return None
    n, crc = struct.unpack_from("<II", data, off + 4)
    payload = data[off + hdr : off + hdr + n]
    if len(payload) != n:
        return None
    if hdr == 12:
        ok = zlib.crc32(payload) == crc
    else:
        ok = crc32c(payload, crc32c(data[off + 12 : off + 32], crc32c(data[off : off + 8]))) == crc
    seq = envelope_seq(payload) if ok else None
    if seq is None or (hdr == 32 and struct.unpack_from("<Q", data, off + 16)[0] != seq):
        return None
    return hdr, n, seq


def main():
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.seg"))):
        data = open(path, "rb").read()
        off = 0
        while off < len(data):
            rec = record(data, off)
            if rec is None:
                print(f"{path}: bad record at offset {off}", file=sys.stderr)
                return 1
            hdr, n, seq = rec
            print(path, off, n, seq)
            off += hdr + n
    return 0


if __name__ == "__main__":
    sys.exit(main())
