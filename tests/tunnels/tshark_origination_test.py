#!/usr/bin/python3
"""Tunnel origination against Wireshark and scapy, frame by frame.

broker-replay runs the project's example traffic (broker-gen-traffic) twice per tunnel shape:
once with tool port 0 a plain port, once with it a tunnel to a remote analyzer (GRE over IPv4,
GRE with a key over IPv6, ERSPAN II over IPv4 cut to 128 bytes, ERSPAN III over IPv6). In
every wrapped frame tshark must read the outer header as configured (addresses, DSCP, TTL,
a correct IPv4 checksum, the IP length equal to the frame's, GRE key, ERSPAN version, session
ID, T bit exactly when the frame was cut, sequence numbers 0, 1, 2..., the type III timestamp
equal to the frame's time in 100 ns units), and scapy, decoding the same bytes on its own,
must find after the outer headers exactly the frame the plain run delivered to port 0 (cut to
the slice). Tool port 1 stays plain and equal in both runs.

Usage: tshark_origination_test.py --replay BROKER_REPLAY --gen BROKER_GEN_TRAFFIC --work DIR
Skips (exit 77) when tshark or scapy is absent.
"""
import argparse
import os
import shutil
import subprocess
import sys

from tshark_inner_test import read_pcap  # the same pcap reader as the termination test

MACS = 'src_mac: "02:00:00:00:00:01" dst_mac: "02:00:00:00:00:02"'
V4 = 'src_ip: "198.51.100.1" dst_ip: "198.51.100.2"'
V6 = 'src_ip: "2001:db8::1" dst_ip: "2001:db8::2"'
SHAPES = [
    # name, EgressTunnel, outer family, ERSPAN version (0: GRE), key, slice, dscp, ttl
    ("gre-ipv4", f"type: TUNNEL_GRE {V4} {MACS}", 4, 0, 0, 0, 0, 64),
    ("gre-key-ipv6", f"type: TUNNEL_GRE {V6} {MACS} key: 77 dscp: 46 ttl: 9", 6, 0, 77, 0, 46, 9),
    ("erspan2-ipv4-sliced", f"type: TUNNEL_ERSPAN erspan_version: 2 {V4} {MACS} key: 1000 slice_bytes: 128 dscp: 10 ttl: 200",
     4, 2, 1000, 128, 10, 200),
    ("erspan3-ipv6", f"type: TUNNEL_ERSPAN erspan_version: 3 {V6} {MACS} key: 5", 6, 3, 5, 0, 0, 64),
]

CONFIG = """
name: "origination"
ingress_ports {{ port: 0 }}
ingress_ports {{ port: 1 }}
egress_ports {{ port: 0 name: "remote" {tunnel} }}
egress_ports {{ port: 1 name: "local" }}
groups {{
  name: "tools" ingress_ports: [0, 1] members: [0, 1]
  hash: HASH_CRC32 symmetric: true tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO]
}}
"""

FIELDS = ["frame.len", "frame.time_epoch", "eth.src", "eth.dst", "ip.src", "ip.dst", "ip.dsfield.dscp",
          "ip.ttl", "ip.len", "ip.checksum.status", "ip.flags.df", "ipv6.src", "ipv6.dst", "ipv6.tclass.dscp",
          "ipv6.hlim", "ipv6.plen", "gre.flags.key", "gre.key", "gre.flags.sequence_number",
          "gre.sequence_number", "gre.proto", "erspan.version", "erspan.spanid", "erspan.truncated",
          "erspan.timestamp"]


def replay(args, work, name, tunnel, inputs):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    cfg = os.path.join(d, "config.txt")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(tunnel=f"tunnel {{ {tunnel} }}" if tunnel else ""))
    out = os.path.join(d, "out")
    subprocess.run([args.replay, "--config", cfg, "--out-dir", out, "--quiet"] +
                   [x for i, p in enumerate(inputs) for x in ("--in", f"{i}={p}")], check=True)
    return out


def tshark_rows(path):
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE", "-T", "fields", "-E", "occurrence=f",
           "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return [dict(zip(FIELDS, line.split("\t"))) for line in res.stdout.splitlines()]


def inner_by_scapy(raw):
    """The frame after the outer headers, as scapy's own dissectors find it."""
    from scapy.all import Ether, load_contrib
    load_contrib("erspan")
    from scapy.layers.l2 import GRE
    p = Ether(raw)
    g = p[GRE]
    inner = g.payload
    if inner.name.startswith("ERSPAN"):
        inner = inner.payload
    if inner.name != "Ethernet":
        raise ValueError(f"scapy finds {inner.name} after the outer headers, not Ethernet")
    return bytes(inner)


def check_shape(args, shape, plain_out, inputs, problems):
    name, tunnel, family, erspan, key, slice_, dscp, ttl = shape
    out = replay(args, args.work, name, tunnel, inputs)
    plain0 = read_pcap(os.path.join(plain_out, "egress-0.pcap"))
    wire0 = read_pcap(os.path.join(out, "egress-0.pcap"))
    if read_pcap(os.path.join(out, "egress-1.pcap")) != read_pcap(os.path.join(plain_out, "egress-1.pcap")):
        problems.append(f"{name}: the plain tool port's capture differs")
    if len(wire0) != len(plain0):
        problems.append(f"{name}: {len(wire0)} wrapped frames, {len(plain0)} plain")
        return
    rows = tshark_rows(os.path.join(out, "egress-0.pcap"))
    cut = 0
    for i, (row, wire, plain) in enumerate(zip(rows, wire0, plain0)):
        want = plain[:slice_] if slice_ and len(plain) > slice_ else plain
        was_cut = len(want) < len(plain)
        cut += was_cut
        expect = {"eth.src": "02:00:00:00:00:01", "eth.dst": "02:00:00:00:00:02"}
        if family == 4:
            expect.update({"ip.src": "198.51.100.1", "ip.dst": "198.51.100.2", "ip.dsfield.dscp": str(dscp),
                           "ip.ttl": str(ttl), "ip.len": str(len(wire) - 14), "ip.checksum.status": "1",  # Wireshark: 0 bad, 1 good, 2 unverified
                           "ip.flags.df": "1"})
        else:
            expect.update({"ipv6.src": "2001:db8::1", "ipv6.dst": "2001:db8::2", "ipv6.tclass.dscp": str(dscp),
                           "ipv6.hlim": str(ttl), "ipv6.plen": str(len(wire) - 54)})
        if erspan == 0:
            expect.update({"gre.proto": "0x6558", "gre.flags.key": "1" if key else "0"})
            if key:
                expect["gre.key"] = str(key)
        else:
            sec, _, frac = row["frame.time_epoch"].partition(".")
            us = int(sec) * 1000000 + int((frac + "000000")[:6])  # the time base: whole microseconds
            expect.update({"gre.proto": "0x88be" if erspan == 2 else "0x22eb", "gre.flags.sequence_number": "1",
                           "gre.sequence_number": str(i), "erspan.version": "1" if erspan == 2 else "2",
                           "erspan.spanid": str(key), "erspan.truncated": "1" if was_cut else "0"})
            if erspan == 3:
                expect["erspan.timestamp"] = str((us * 10) % (1 << 32))
        for field, value in expect.items():
            got = row.get(field, "")
            if field in ("gre.key", "gre.proto") and got.startswith("0x"):
                got = str(int(got, 16)) if field == "gre.key" else got
            if field in ("gre.flags.key", "gre.flags.sequence_number", "erspan.truncated", "ip.flags.df"):
                got = {"True": "1", "False": "0"}.get(got, got)
            if got.lower() != value.lower():
                problems.append(f"{name} frame {i + 1}: tshark reads {field} = {got!r}, expected {value!r}")
        try:
            inner = inner_by_scapy(wire)
        except Exception as e:  # noqa: BLE001: reported as a finding
            problems.append(f"{name} frame {i + 1}: {e}")
            continue
        if inner != want:
            problems.append(f"{name} frame {i + 1}: the inner frame differs from the plain run's "
                            f"({len(inner)} vs {len(want)} bytes)")
        if len(problems) > 20:
            return
    overhead = sum(map(len, wire0)) / max(1, sum(map(len, plain0)))
    print(f"{name}: {len(wire0)} frames to the remote analyzer, {cut} cut; tshark reads every outer header as "
          f"configured, scapy finds every plain frame after it; wire/delivered bytes {overhead:.3f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replay", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    if not shutil.which("tshark"):
        print("SKIP: tshark is not installed (Debian package tshark)")
        return 77
    try:
        from scapy.all import load_contrib  # noqa: F401
    except ImportError:
        print("SKIP: scapy is not installed for /usr/bin/python3 (Debian package python3-scapy)")
        return 77
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    gen = os.path.join(args.work, "traffic")
    subprocess.run([args.gen, "--out-dir", gen, "--points", "2", "--sessions", "150", "--seed", "31", "--quiet"],
                   check=True)
    inputs = [os.path.join(gen, "tap-1.pcap"), os.path.join(gen, "tap-2.pcap")]
    plain_out = replay(args, args.work, "plain", "", inputs)
    problems = []
    for shape in SHAPES:
        check_shape(args, shape, plain_out, inputs, problems)
    for p in problems[:20]:
        print("FAIL:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
