#!/usr/bin/python3
"""Tunnel frames from an independent encoder (scapy), for the live tunnel test.

Prints one line per frame: KIND ID OUTER_HEX INNER_HEX. The outer frame is what a software
TAP in a hypervisor sends towards the broker's address (192.0.2.1 from 192.0.2.7, or
2001:db8::1 from 2001:db8::7): GRE with a key (transparent Ethernet), ERSPAN type II and
type III (as Linux's erspan device sends them: GRE with a sequence number), and VXLAN. The
inner frames are TCP and UDP sessions of varied lengths.

Usage: tunnel_frames.py COUNT
"""
import sys

from scapy.all import Ether, IP, IPv6, TCP, UDP, GRE, Raw
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III
from scapy.layers.vxlan import VXLAN

BROKER_MAC, TAP_MAC = "02:00:00:00:0b:01", "02:00:00:00:0b:07"


def inner(i):
    l4 = TCP(sport=40000 + i % 17, dport=443, flags="PA") if i % 2 else UDP(sport=50000 + i % 13, dport=53)
    return (Ether(src="02:00:00:00:10:%02x" % (i % 256), dst="02:00:00:00:20:01") /
            IP(src="10.1.%d.%d" % (i % 7, 1 + i % 200), dst="10.2.0.2") / l4 /
            Raw(bytes((i + k) % 256 for k in range(6 + (i * 37) % 1300))))


def outer(i, frame):
    kind = i % 5
    v6 = i % 3 == 0
    ip = (IPv6(src="2001:db8::7", dst="2001:db8::1") if v6 else IP(src="192.0.2.7", dst="192.0.2.1"))
    eth = Ether(src=TAP_MAC, dst=BROKER_MAC)
    if kind == 0:
        return "gre", 1000 + i, eth / ip / GRE(key_present=1, key=1000 + i, proto=0x6558) / frame
    if kind == 1:
        return "erspan2", 100 + i % 900, eth / ip / GRE(seqnum_present=1, seqence_number=i, proto=0x88BE) / \
            ERSPAN_II(ver=1, session_id=100 + i % 900, index=i) / frame
    if kind == 2:
        return "erspan3", 200 + i % 800, eth / ip / GRE(seqnum_present=1, seqence_number=i, proto=0x22EB) / \
            ERSPAN_III(session_id=200 + i % 800, timestamp=i) / frame
    if kind == 3:
        return "vxlan", 5000 + i, eth / ip / UDP(sport=49152 + i % 1000, dport=4789) / VXLAN(vni=5000 + i) / frame
    return "gre", 0, eth / ip / GRE(proto=0x6558) / frame


def main():
    for i in range(int(sys.argv[1])):
        f = inner(i)
        kind, tid, o = outer(i, f)
        print(kind, tid, bytes(o).hex(), bytes(f).hex())


if __name__ == "__main__":
    main()
