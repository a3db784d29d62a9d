#!/usr/bin/env python3
"""Writes docs/bench/results.md from the raw outputs of bench/run_bench.sh.

    report.py RAW_DIR OUT_MD
Every figure is printed next to the baseline measured in the same run, and every target of
issue 5 is judged here from the numbers, never asserted in a test.
"""
import csv
import json
import os
import sys

raw, out_md = sys.argv[1], sys.argv[2]
out_dir = os.path.dirname(out_md)


def tsv(path):
    p = os.path.join(raw, path)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def kv(path):
    rows = tsv(path)
    if rows is None:
        return None
    keys = list(rows[0].keys()) if rows else ["metric", "value"]
    return {r[keys[0]]: r[keys[1]] for r in rows}


def bench_json(path):
    p = os.path.join(raw, path)
    if not os.path.exists(p):
        return {}, {}
    with open(p) as f:
        j = json.load(f)
    res = {}
    for b in j["benchmarks"]:
        name = b.get("run_name", b["name"])
        agg = b.get("aggregate_name")
        if agg and agg != "median":
            continue
        res[name] = b
    return res, j.get("context", {})


def fmt(x, nd=2):
    return f"{x:.{nd}f}"


machine = kv("machine.tsv") or {}
L = []
L.append("# Benchmark results")
L.append("")
L.append("Written by `make bench` (bench/run_bench.sh, bench/report.py): do not edit by hand; "
         "rerun it. Every figure sits next to a baseline measured in the same run on the same "
         "machine; performance is never asserted in tests.")
L.append("")
L.append("## Machine")
L.append("")
L.append("| | |")
L.append("|---|---|")
for k, label in [("cpu_model", "CPU"), ("cores", "cores"), ("memory_gib", "memory (GiB)"),
                 ("compiler", "compiler"), ("os", "OS"), ("kernel", "kernel"), ("date", "measured"),
                 ("loadavg_at_start", "load average at start"), ("git", "tree")]:
    if k in machine:
        L.append(f"| {label} | {machine[k]} |")
L.append("")
L.append("A shared virtual machine: other jobs may run at the same time (see the load average), "
         "so absolute figures vary by some percent between runs; the ratios to the same-run "
         "baselines are the stable part.")
L.append("")

targets = []  # (target, measured, verdict)

# ---- core ----------------------------------------------------------------------------
core, core_ctx = bench_json("core.json")
MIX = {0: "64-byte frames (IPv4/UDP, 4096 flows)", 1: "IMIX 7:4:1 (64/594/1518)",
       2: "GTP-U (generated)", 3: "VLAN / QinQ / MPLS stacks (generated)"}


def mpps(b):
    return b["items_per_second"] / 1e6 if b else None


if core:
    L.append("## 1. The native core, one core, in-memory packets")
    L.append("")
    L.append("`core::Pipeline::forward`: the fabric's tasks stepped natively (align, parse, key, "
             "hash, select, egress, stats; the frame in and out as 64-byte AXI4-Stream beats) with "
             "a configuration the driver programmed through the register map (4 members, "
             "symmetric CRC32 5-tuple), frames cycled from a 16,384-frame set. Baseline: copying "
             "each frame's 256-byte header window, the bytes the parser looks at.")
    L.append("")
    L.append("| traffic | static Mpps | dynamic Mpps | static ns/frame | dynamic ns/frame | static time / header-copy time |")
    L.append("|---|---:|---:|---:|---:|---:|")
    base = {m: core.get(f"BM_Baseline_HeaderCopy/mix:{m}") for m in (0, 1)}
    for m in range(4):
        s = core.get(f"BM_Core/mix:{m}/dyn:0")
        d = core.get(f"BM_Core/mix:{m}/dyn:1")
        if not s or not d:
            continue
        bl = base.get(m) or base.get(0)
        ratio = (1e9 / s["items_per_second"]) / (1e9 / bl["items_per_second"]) if bl else float("nan")
        L.append(f"| {MIX[m]} | {fmt(mpps(s))} | {fmt(mpps(d))} | {fmt(1e3 / mpps(s), 1)} | "
                 f"{fmt(1e3 / mpps(d), 1)} | {fmt(ratio, 1)} x |")
    L.append("")
    if base.get(0):
        L.append(f"Header-copy baseline: {fmt(mpps(base[0]), 1)} Mpps (64-byte frames), "
                 f"{fmt(mpps(base[1]), 1)} Mpps (IMIX).")
    fw = core.get("BM_SoftCardForward")
    if fw:
        L.append(f"`SoftCard::forward` (core + lock + TX meter), 64-byte frames: "
                 f"{fmt(mpps(fw))} Mpps ({fmt(1e3 / mpps(fw), 1)} ns/frame).")
    L.append("")
    L.append("Where the time goes, 64-byte frames: the per-frame functions the tasks call "
             "(`parse_frame`, `build_key`, the hashes; cumulative, same run), against the whole "
             "`Pipeline::forward` (the rest is stepping the tasks and their streams):")
    L.append("")
    L.append("| stage | ns/frame | Mpps |")
    L.append("|---|---:|---:|")
    names = ["parse", "parse + key", "parse + key + crc32", "parse + key + xor16"]
    for i in range(4):
        b = core.get(f"BM_Stage/stage:{i}")
        if b:
            L.append(f"| {names[i]} | {fmt(1e3 / mpps(b), 1)} | {fmt(mpps(b))} |")
    s0 = core.get("BM_Core/mix:0/dyn:0")
    if s0:
        L.append(f"| whole `Pipeline::forward` (static) | {fmt(1e3 / mpps(s0), 1)} | {fmt(mpps(s0))} |")
    L.append("")
    if s0:
        worst = min(mpps(core[f"BM_Core/mix:0/dyn:{d}"]) for d in (0, 1))
        ok = worst >= 40
        targets.append(("core >= 40 Mpps per core, 64-byte frames",
                        f"{fmt(mpps(s0))} static / {fmt(mpps(core['BM_Core/mix:0/dyn:1']))} dynamic Mpps",
                        "met" if ok else f"missed by {fmt(100 * (1 - worst / 40), 0)} % "
                        f"(needs {fmt(40 / worst, 2)} x)"))
    prof = os.path.join(raw, "profile.txt")
    pf = os.path.join(raw, "profile_frames.txt")
    if os.path.exists(prof) and os.path.exists(pf):
        import re
        n = int(open(pf).read().strip())
        rows, total = [], 0
        for line in open(prof):
            m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S.*)$", line)
            if not m or "PROGRAM TOTALS" in line:
                continue
            ir = int(m.group(1).replace(",", ""))
            fn = m.group(2)
            fn = fn.split(":", 1)[1] if fn.startswith("???:") or ".S:" in fn else fn
            fn = fn.replace("(anonymous namespace)::", "").replace("broker::core::", "")
            fn = re.sub(r"\(.*", "", fn).split(" [")[0]
            if ir / n < 1:
                continue
            if fn.startswith("profile") or "dl_" in fn or "do_lookup" in fn or "broker::bench" in fn or not fn:
                continue
            rows.append((fn, ir / n))
        if rows:
            total = sum(r[1] for r in rows)
            L.append(f"Instructions per frame (valgrind callgrind, {n} frames of 64 bytes through "
                     f"`Pipeline::forward`, static mode; deterministic, unlike the timings):")
            L.append("")
            L.append("| function (self) | instructions/frame | share |")
            L.append("|---|---:|---:|")
            for fn, ipf in rows[:10]:
                L.append(f"| `{fn}` | {ipf:.0f} | {100 * ipf / total:.0f} % |")
            L.append(f"| **total** | **{total:.0f}** | |")
            L.append("")

# ---- CRC ------------------------------------------------------------------------------
crc, crc_ctx = bench_json("crc.json")
if crc:
    L.append("## 2. CRC32 over the 96-byte key: the core against its peers")
    L.append("")
    L.append(f"Same {crc_ctx.get('keys', '?')} keys (built by the core from generated traffic of every "
             f"session kind), same run. The core's `crc32_key` equals zlib's crc32 on every key "
             f"(mismatches: {crc_ctx.get('crc32_key_vs_zlib_mismatches', '?')}). rte_hash_crc is "
             "CRC-32C (Castagnoli), a different polynomial: a speed peer, not a drop-in. rte_softrss "
             "is the Toeplitz hash NICs use for RSS, over the same 96 bytes (100-byte RSS key).")
    L.append("")
    L.append("| function | ns/key | GB/s | time vs zlib crc32 |")
    L.append("|---|---:|---:|---:|")
    z = crc.get("BM_Zlib_crc32")
    labels = [("BM_Core_crc32_key", "core crc32_key (generated XOR matrix)"),
              ("BM_Zlib_crc32", f"zlib crc32 ({crc_ctx.get('zlib_version', '')})"),
              ("BM_Dpdk_rte_hash_crc_sse42", "DPDK rte_hash_crc, SSE4.2 crc32q"),
              ("BM_Dpdk_rte_hash_crc_sw", "DPDK rte_hash_crc, table fallback"),
              ("BM_Dpdk_rte_softrss", "DPDK rte_softrss (Toeplitz)"),
              ("BM_Core_xor16_key", "core xor16_key")]
    for k, label in labels:
        b = crc.get(k)
        if not b:
            continue
        ns = 1e9 / b["items_per_second"]
        r = ns / (1e9 / z["items_per_second"]) if z else float("nan")
        L.append(f"| {label} | {fmt(ns, 1)} | {fmt(b['bytes_per_second'] / 1e9, 2)} | {fmt(r, 2)} x |")
    L.append("")

# ---- replay ---------------------------------------------------------------------------
rp = kv("replay.tsv")
if rp:
    L.append("## 3. broker-replay against a libpcap read-only pass")
    L.append("")
    L.append(f"One generated capture ({rp.get('frames')} frames, {rp.get('capture_mib', '?')} MiB, "
             f"examples/seed.conf, 4 egress captures written to {rp.get('egress_dir', 'disk')}), page cache warm, each measurement a "
             f"separate process, median of {rp.get('reps')} alternating repetitions.")
    L.append("")
    L.append("| run | wall s | CPU s | Mpps | wall vs read-only |")
    L.append("|---|---:|---:|---:|---:|")
    ro = float(rp["read_only_wall_s"])
    for key, label in [("read_only", "libpcap read-only (baseline)"),
                       ("read_write", "libpcap read + write one pcap"),
                       ("replay", "broker-replay")]:
        w = float(rp[f"{key}_wall_s"])
        L.append(f"| {label} | {fmt(w, 3)} | {fmt(float(rp[f'{key}_cpu_s']), 3)} | "
                 f"{fmt(int(rp['frames']) / w / 1e6, 2)} | {fmt(w / ro, 2)} x |")
    L.append("")
    r = float(rp["ratio_vs_read_only"])
    L.append(f"broker-replay vs the read+write floor: {fmt(float(rp['ratio_vs_read_write']), 2)} x.")
    L.append("")
    targets.append(("broker-replay <= 1.3 x libpcap read-only", f"{fmt(r, 2)} x (vs read+write floor: "
                    f"{fmt(float(rp['ratio_vs_read_write']), 2)} x)",
                    "met" if r <= 1.3 else f"missed by {fmt(100 * (r / 1.3 - 1), 0)} %"))

# ---- gRPC -----------------------------------------------------------------------------
g = kv("grpc.tsv")
if g:
    L.append("## 4. Control plane over loopback (brokerd, soft card, TCP 127.0.0.1)")
    L.append("")
    L.append("Baseline: GetCapabilities, the API's cheapest call, same connection, same run.")
    L.append("")
    L.append("| call | p50 µs | p99 µs | calls/s, 1 client thread | calls/s, 2 client threads |")
    L.append("|---|---:|---:|---:|---:|")
    L.append(f"| SetConfig ({g['setconfig_calls']} calls, alternating 4/5 members) | {g['setconfig_p50_us']} | "
             f"{g['setconfig_p99_us']} | | |")
    L.append(f"| GetCounters ({g['getcounters_calls']} calls, {g['counters_snapshot_bytes']}-byte snapshot) | "
             f"{g['getcounters_p50_us']} | {g['getcounters_p99_us']} | {g['getcounters_rps_1thread']} | "
             f"{g['getcounters_rps_2threads']} |")
    L.append(f"| GetCapabilities (baseline) | {g['getcapabilities_p50_us']} | {g['getcapabilities_p99_us']} | "
             f"{g['getcapabilities_rps_1thread']} | {g['getcapabilities_rps_2threads']} |")
    L.append("")
    p99 = float(g["getcounters_p99_us"])
    ratio = float(g["getcounters_p50_us"]) / float(g["getcapabilities_p50_us"])
    L.append(f"GetCounters p50 is {fmt(ratio, 2)} x the GetCapabilities p50.")
    L.append("")
    targets.append(("GetCounters p99 < 1 ms", f"{fmt(p99, 0)} µs",
                    "met" if p99 < 1000 else f"missed by {fmt(p99 - 1000, 0)} µs"))

# ---- Verilator ------------------------------------------------------------------------
v = tsv("verilator.tsv")
L.append("## 5. The Verilator model: simulated cycles per packet")
L.append("")
if v:
    L.append("The RTL top (hw/rtl) with the HLS core's tasks (one module each, through DPI-C), "
             "frames back to back on one "
             "ingress port, every egress port ready. Baseline: the beats the frames occupy on the "
             "512-bit bus (one beat per clock is line rate).")
    L.append("")
    L.append("| traffic | frames | cycles/frame in | cycles/frame out | bus beats/frame | cycles vs beats | Mpps at 322 MHz | model speed (cycles/s) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in v:
        L.append(f"| {r['mix']} | {r['frames']} | {r['cycles_per_frame_in']} | {r['cycles_per_frame_out']} | "
                 f"{r['beats_per_frame']} | {r['ratio_to_line_rate']} x | {r['mpps_at_clk']} | {r['sim_cycles_per_s']} |")
    L.append("")
else:
    L.append("Not measured in this run: the build has no `broker_verilator_card` "
             "(Verilator or the RTL top missing).")
    L.append("")

# ---- distribution ---------------------------------------------------------------------
bal = tsv("dist/balance.tsv")
summ = kv("dist/summary.tsv") or {}
if bal:
    L.append("## 6. Distribution quality")
    L.append("")
    L.append("Soft card + driver, 4 members, symmetric 5-tuple. max/mean of per-member bytes "
             "(packets in brackets); 1.000 is perfect. *Ideal*: the hash keys (the units a "
             "session-preserving balancer must keep together) packed largest-first onto the "
             "least-loaded member, the best any such balancer can do on that traffic. Dynamic: "
             "member speed set so that at the traffic's 95th-percentile rate (10 ms bins) the mean member runs at 50 %, threshold 50 %, bucket idle "
             "timeout 1 ms, 1 ms utilization window.")
    L.append("")
    L.append("| traffic | frames | hash keys | crc32 static | xor16 static | crc32 dynamic | ideal | keys moved (dynamic) |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in bal:
        L.append(f"| {r['traffic']} | {r['frames']} | {r['keys']} | {r['crc32_static']} ({r['crc32_static_pkts']}) | "
                 f"{r['xor16_static']} ({r['xor16_static_pkts']}) | {r['crc32_dynamic']} ({r['crc32_dynamic_pkts']}) | "
                 f"{r['ideal']} ({r['ideal_pkts']}) | {r['dynamic_moved_keys']} |")
    L.append("")
    L.append("![balance by hash function](balance_by_hash.png)")
    L.append("")
    dyn_rows = [r for r in bal if r["crc32_dynamic"] != "n/a" and int(r["keys"]) >= 1000]
    if dyn_rows:
        worst = max(dyn_rows, key=lambda r: float(r["crc32_dynamic"]))
        w = float(worst["crc32_dynamic"])
        targets.append(("dynamic max/mean <= 1.05 with >= 1,000 flows",
                        f"worst {fmt(w, 3)} ({worst['traffic']}; ideal {worst['ideal']})",
                        "met" if w <= 1.05 else f"missed by {fmt(w - 1.05, 3)}"))
        for r in dyn_rows:
            if r is worst:
                continue
            L.append(f"- {r['traffic']}: dynamic {r['crc32_dynamic']} vs ideal {r['ideal']}")
        L.append("")
    if summ:
        L.append("### Elephants: static vs dynamic")
        L.append("")
        L.append(f"Generated mix, {summ.get('elephant_keys')} hash keys; the top 1 % of keys carry "
                 f"{fmt(100 * float(summ.get('elephant_top1pct_keys_byte_share', 0)), 1)} % of the bytes. "
                 f"Offered {summ.get('elephant_offered_mbps')} Mbit/s (95th percentile of 10 ms bins) over 4 members of "
                 f"{summ.get('elephant_member_speed_mbps')} Mbit/s (10 ms bins).")
        L.append("")
        L.append("| | static | dynamic |")
        L.append("|---|---:|---:|")
        L.append(f"| peak member utilization (10 ms bins) | {summ.get('elephant_static_peak_util_pct')} % | "
                 f"{summ.get('elephant_dynamic_peak_util_pct')} % |")
        L.append(f"| max/mean bytes over the run | {summ.get('elephant_static_max_mean_bytes')} | "
                 f"{summ.get('elephant_dynamic_max_mean_bytes')} |")
        L.append(f"| mean of per-bin max/mean | {summ.get('elephant_static_mean_bin_max_mean')} | "
                 f"{summ.get('elephant_dynamic_mean_bin_max_mean')} |")
        L.append(f"| hash keys that changed member | 0 | {summ.get('elephant_dynamic_moved_keys')} |")
        L.append(f"| threshold avoidances (core counter) | 0 | {summ.get('elephant_dynamic_threshold_avoids')} |")
        L.append("")
        L.append("![utilization over time, elephant mix](util_elephant.png)")
        L.append("")
        L.append("### Membership change")
        L.append("")
        L.append("Static group of 4 (tool-1..4), 20,000 uniform flows; tool-5 joins at 1/3 of the run, "
                 "tool-2 leaves at 2/3 (driver add_member / remove_member, hitless).")
        L.append("")
        sh = tsv("dist/membership_shares.tsv")
        if sh:
            L.append("| member | share, 4 members | share, tool-5 joined | share, tool-2 left |")
            L.append("|---|---:|---:|---:|")
            for r in sh:
                L.append(f"| {r['member']} | {fmt(100 * float(r['phase1_4_members']), 1)} % | "
                         f"{fmt(100 * float(r['phase2_tool5_joined']), 1)} % | {fmt(100 * float(r['phase3_tool2_left']), 1)} % |")
            L.append("")
        L.append(f"Flows that changed member on the add: "
                 f"{fmt(100 * float(summ.get('membership_add_keys_moved_share', 0)), 1)} % (minimum possible 1/5 = 20 %); "
                 f"on the remove: {fmt(100 * float(summ.get('membership_remove_keys_moved_share', 0)), 1)} % "
                 f"(the leaving member's share), of which from members that stayed: "
                 f"{summ.get('membership_remove_keys_moved_not_from_leaving')}. "
                 f"Frames dropped: {summ.get('membership_dropped_frames')}.")
        L.append("")
        L.append("![utilization over time during add/remove](util_membership.png)")
        L.append("")

# ---- targets --------------------------------------------------------------------------
T = ["## Targets (issue 5)", "", "| target | measured | verdict |", "|---|---|---|"]
for t in targets:
    T.append(f"| {t[0]} | {t[1]} | {t[2]} |")
T.append("")
notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
if os.path.exists(notes):
    with open(notes) as f:
        T.append(f.read().strip())
        T.append("")
idx = L.index("## Machine")
L = L[:idx] + T + L[idx:]
with open(out_md, "w") as f:
    f.write("\n".join(L) + "\n")
