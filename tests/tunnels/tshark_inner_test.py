#!/usr/bin/python3
"""Tunnel termination against Wireshark, frame by frame, on the shared captures.

broker-replay runs each capture with GRE, ERSPAN and VXLAN terminated on its ingress port.
tshark dissects the same capture (PDML); from its layer tree this test reads, per frame,
whether the broker must terminate it (the first GRE/ERSPAN/VXLAN layer right above the
outer IP, by DESIGN.md's rules) and the fields of the frame the broker must parse and
deliver: the layers after the tunnel, or the whole frame when nothing is terminated. The
decision log's columns must equal them, and every frame in the egress captures must be,
byte for byte, the frame bytes from the inner Ethernet header on (an IP payload of GRE under
an Ethernet header with zero MACs). With termination off, every frame leaves as it came
and no row names a tunnel.

Usage: tshark_inner_test.py --replay BROKER_REPLAY --shared DIR --work DIR
Skips (exit 77) when the shared captures or tshark are absent.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

CAPTURES = [
    "pcapplusplus_GrePackets.pcap",
    "tcpdump_erspan-type-i-4.pcap",
    "tcpdump_erspan-type-ii-3.pcap",
    "tcpdump_erspan-type-iii-ft-0.pcap",
    "zeek_erspan.pcap",
    "zeek_erspanI.pcap",
    "zeek_erspanII.pcap",
    "zeek_erspanIII.pcap",
    "zeek_gre-sample.pcap",
    "zeek_gre-within-gre.pcap",
    "zeek_vxlan.pcap",
    "zeek_vxlan-encapsulated-http.pcap",
    "tcpdump_gso-ipv4-vxlan-ipv6.pcap",
    "tcpdump_nsh-over-vxlan-gpe.pcap",
]

# The dissection settings of shared/testdata/tshark_truth.sh: one row per frame as on the wire.
TSHARK_OPTS = ["-n", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
               "-o", "tcp.desegment_tcp_streams:FALSE"]

COMPARED = ["eth_src", "eth_dst", "ethertype", "vlan", "ip_proto", "src_ip", "dst_ip",
            "src_port", "dst_port", "fragment", "tunnel", "tunnel_id", "tunnel_src"]

CONFIG = """
name: "tunnels"
ingress_ports {{ port: 0 name: "vtap" {terminate} }}
egress_ports {{ port: 0 name: "tool-a" }}
egress_ports {{ port: 1 name: "tool-b" }}
groups {{
  name: "tools" ingress_ports: [0] members: [0, 1]
  hash: HASH_CRC32 symmetric: true tuple: [SRC_IP, DST_IP, SRC_PORT, DST_PORT, IP_PROTO]
}}
"""
TERMINATE = "terminate: [TUNNEL_GRE, TUNNEL_ERSPAN, TUNNEL_VXLAN]"


def read_pcap(path):
    """The records' bytes of a pcap file (micro- or nanosecond, either byte order)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError(f"{path}: not a pcap file")
    out, at = [], 24
    while at + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(e + "IIII", data[at:at + 16])
        out.append(data[at + 16:at + 16 + caplen])
        at += 16 + caplen
    return out


class Layer:
    def __init__(self, el):
        self.name = el.get("name")
        self.pos = int(el.get("pos", "0"))
        self.fields = {}
        for f in el.iter("field"):
            self.fields.setdefault(f.get("name"), f.get("show"))

    def get(self, name, default=None):
        return self.fields.get(name, default)


def layers_of(capture):
    out = subprocess.run(["tshark", "-r", capture, "-T", "pdml"] + TSHARK_OPTS,
                         check=True, capture_output=True).stdout
    packets = []
    for pkt in ET.fromstring(out).iter("packet"):
        packets.append([Layer(p) for p in pkt.findall("proto")
                        if p.get("name") not in ("geninfo", "frame", "fake-field-wrapper")])
    return packets


def is_fragment(ip):
    if ip.name == "ip":
        return ip.get("ip.flags.mf") == "1" or ip.get("ip.frag_offset", "0") != "0"
    return False  # no outer IPv6 fragments in these captures


def ip_addr(ip, which):
    return ip.get(f"ip.{which}") if ip.name == "ip" else ip.get(f"ipv6.{which}")


def tunnel_of(layers):
    """(kind, id, src, index of the inner frame's first layer, l3) for a frame the broker must
    terminate, by DESIGN.md's rules read off tshark's tree; None otherwise."""
    ips = [i for i, l in enumerate(layers) if l.name in ("ip", "ipv6")]
    if not ips:
        return None
    i = ips[0]
    outer = layers[i]
    if is_fragment(outer) or i + 1 >= len(layers):
        return None
    nxt = layers[i + 1]
    src = ip_addr(outer, "src")
    if nxt.name == "gre":
        if nxt.get("gre.flags.version") != "0" or nxt.get("gre.flags.routing") != "0":
            return None
        key = int(nxt.get("gre.key", "0"), 16)
        after = layers[i + 2] if i + 2 < len(layers) else None
        if after is None:
            return None
        if after.name == "erspan":
            inner = i + 3
            if inner >= len(layers) or layers[inner].name != "eth":
                return None
            ver = after.get("erspan.version")
            if ver is None:
                return ("erspan1", 0, src, inner, False)
            if ver == "1":
                return ("erspan2", int(after.get("erspan.spanid")), src, inner, False)
            if ver == "2" and after.get("erspan.ft") == "0":
                return ("erspan3", int(after.get("erspan.spanid")), src, inner, False)
            return None
        if after.name == "eth":
            return ("gre", key, src, i + 2, False)
        if after.name in ("ip", "ipv6"):
            return ("gre", key, src, i + 2, True)
        return None
    if nxt.name == "udp" and nxt.get("udp.dstport") == "4789" and i + 3 < len(layers):
        vx, inner = layers[i + 2], layers[i + 3]
        if vx.name == "vxlan" and vx.get("vxlan.flag_i") == "1" and inner.name == "eth":
            return ("vxlan", int(vx.get("vxlan.vni")), src, i + 3, False)
    return None


def fields_from(layers, start, l3):
    """The decision log's fields of the frame whose first layer is layers[start]."""
    f = {k: "" for k in COMPARED}
    j = start
    if l3:
        f["eth_src"] = f["eth_dst"] = "00:00:00:00:00:00"
        f["ethertype"] = "0x0800" if layers[j].name == "ip" else "0x86dd"
    else:
        e = layers[j]
        f["eth_src"], f["eth_dst"] = e.get("eth.src"), e.get("eth.dst")
        f["ethertype"] = e.get("eth.type", "")
        j += 1
        while j < len(layers) and layers[j].name == "vlan":
            if not f["vlan"]:
                f["vlan"] = layers[j].get("vlan.id")
            f["ethertype"] = layers[j].get("vlan.etype", "")
            j += 1
    if j < len(layers) and layers[j].name in ("ip", "ipv6"):
        ip = layers[j]
        f["src_ip"], f["dst_ip"] = ip_addr(ip, "src"), ip_addr(ip, "dst")
        if ip.name == "ip":
            f["ip_proto"] = ip.get("ip.proto")
        else:
            nxt = [v for k, v in ip.fields.items() if k.endswith(".nxt")]
            f["ip_proto"] = nxt[-1]
        f["fragment"] = "1" if is_fragment(ip) else "0"
        later = ip.name == "ip" and ip.get("ip.frag_offset", "0") != "0"
        if j + 1 < len(layers) and layers[j + 1].name in ("tcp", "udp", "sctp") and not later:
            l4 = layers[j + 1]
            f["src_port"] = l4.get(f"{l4.name}.srcport")
            f["dst_port"] = l4.get(f"{l4.name}.dstport")
    else:
        f["fragment"] = "0"
    return f


def read_log(path):
    with open(path) as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def normalized(row):
    r = {k: row.get(k, "") for k in COMPARED}
    if r["ethertype"] == "0x0000":  # 802.3/LLC under a VLAN tag: tshark shows no type
        r["ethertype"] = ""
    if r["tunnel"] == "none":
        r["tunnel"] = ""
    return r


def replay(args, capture, work, terminate):
    os.makedirs(work, exist_ok=True)
    cfg = os.path.join(work, "config.txtpb")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(terminate=TERMINATE if terminate else ""))
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    log = os.path.join(work, "log.tsv")
    subprocess.run([args.replay, "--config", cfg, "--in", f"0={capture}", "--out-dir", out,
                    "--log", log], check=True, capture_output=True)
    egress = {p: read_pcap(os.path.join(out, f"egress-{p}.pcap")) for p in (0, 1)}
    return read_log(log), egress


def check_capture(args, name):
    capture = os.path.join(args.shared, name)
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    plain = os.path.join(work, "input.pcap")
    subprocess.run(["editcap", "-F", "pcap", capture, plain], check=True, capture_output=True)
    frames = read_pcap(plain)
    packets = layers_of(capture)
    if len(packets) != len(frames):
        return [f"{name}: tshark dissected {len(packets)} frames, the file holds {len(frames)}"]
    errors = []

    log, egress = replay(args, capture, os.path.join(work, "on"), True)
    if len(log) != len(frames):
        return [f"{name}: {len(log)} log rows for {len(frames)} frames"]
    next_out = {0: 0, 1: 0}
    terminated = agree = byte_equal = delivered = 0
    for k, (layers, frame, row) in enumerate(zip(packets, frames, log), start=1):
        t = tunnel_of(layers)
        if t:
            kind, tid, src, start, l3 = t
            want = fields_from(layers, start, l3)
            want.update(tunnel=kind, tunnel_id=str(tid), tunnel_src=src)
            pos = layers[start].pos
            body = frame[pos:]
            out = bytes(12) + (b"\x08\x00" if layers[start].name == "ip" else b"\x86\xdd") + body if l3 else body
            terminated += 1
        else:
            want = fields_from(layers, 0, False)
            out = frame
        got = normalized(row)
        diff = [f"{c}: broker {got[c]!r}, tshark {want[c]!r}" for c in COMPARED if got[c] != want[c]]
        if diff:
            errors.append(f"{name} frame {k}: " + "; ".join(diff))
        else:
            agree += 1
        if row["out_port"] != "":
            p = int(row["out_port"])
            delivered += 1
            if next_out[p] >= len(egress[p]):
                errors.append(f"{name} frame {k}: egress-{p}.pcap ends before it")
                continue
            if egress[p][next_out[p]] != out:
                errors.append(f"{name} frame {k}: the frame out of port {p} is not the "
                              f"{'inner ' if t else ''}frame ({len(egress[p][next_out[p]])} bytes, "
                              f"expected {len(out)})")
            else:
                byte_equal += 1
            next_out[p] += 1
    for p in (0, 1):
        if next_out[p] != len(egress[p]):
            errors.append(f"{name}: egress-{p}.pcap holds {len(egress[p])} frames, the log {next_out[p]}")

    # Termination off: nothing changes, every frame leaves as it came.
    log_off, egress_off = replay(args, capture, os.path.join(work, "off"), False)
    unchanged = sum(1 for r in log_off if r["tunnel"] == "none")
    if unchanged != len(frames):
        errors.append(f"{name}: with termination off, {len(frames) - unchanged} rows name a tunnel")
    sent = {0: [], 1: []}
    for frame, r in zip(frames, log_off):
        if r["out_port"] != "":
            sent[int(r["out_port"])].append(frame)
    if sent != egress_off:
        errors.append(f"{name}: with termination off, the frames out are not the frames in")
    print(f"[ figures ] {name}: {len(frames)} frames, {terminated} terminated (tshark's tree), "
          f"fields agree {agree}/{len(frames)}, delivered byte for byte {byte_equal}/{delivered}; "
          f"termination off: {unchanged}/{len(frames)} untouched")
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replay", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    if not os.path.isdir(args.shared):
        print(f"SKIP: {args.shared} is absent (the shared captures live beside the project in CI)")
        return 77
    for tool in ("tshark", "editcap"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed (Debian package tshark; make test installs it)")
            return 77
    errors = []
    for name in CAPTURES:
        if not os.path.exists(os.path.join(args.shared, name)):
            errors.append(f"{name}: missing from {args.shared}")
            continue
        errors += check_capture(args, name)
    for e in errors[:60]:
        print("FAIL", e)
    if len(errors) > 60:
        print(f"... and {len(errors) - 60} more")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
