#!/usr/bin/env python3
"""Minimal DNS A query (no dig on the machine): dnsquery.py SERVER PORT NAME -> prints the addresses."""
import random, socket, struct, sys

server, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
qid = random.randint(0, 65535)
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (server, port))
data, _ = s.recvfrom(4096)
an = struct.unpack(">H", data[6:8])[0]
i = len(q)
for _ in range(an):
    if data[i] & 0xC0 == 0xC0:
        i += 2
    else:
        while data[i]:
            i += data[i] + 1
        i += 1
    typ, _cls, _ttl, ln = struct.unpack(">HHIH", data[i:i + 10])
    i += 10
    if typ == 1:
        print(socket.inet_ntoa(data[i:i + ln]))
    i += ln
