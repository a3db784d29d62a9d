#!/usr/bin/env bash
# `make run`: the seed scenario through the daemon on the soft card.
#  1. generate the example traffic: 8 measurement points (TAP pairs that split directions,
#     SPAN ports that see both), 2000 sessions over 2 s;
#  2. start brokerd (soft card) on a Unix socket;
#  3. configure the seed's group of 4 analyzers with brokerctl over gRPC, the taps bound to
#     the generated captures (replayed at their recorded pace) and each analyzer to a capture;
#  4. while the traffic flows, take analyzer 4 out of the group and put it back (hitless);
#  5. show per-port counters and TX utilization, and stop the daemon cleanly.
set -euo pipefail
build=${1:-build}
work="$build/example"
bin="$build/sw"
sock="$work/brokerd.sock"
ctl() { "$bin/ctl/brokerctl" --target "unix:$sock" "$@"; }

rm -rf "$work"
mkdir -p "$work/analyzers"

echo "== 1. example traffic: 8 measurement points, 2000 sessions"
"$bin/tools/broker-gen-traffic" --out-dir "$work/taps" --points 8 --sessions 2000 --seed 1

echo
echo "== 2. brokerd --card soft --listen unix:$sock --capture-dir $work"
"$bin/daemon/brokerd" --card soft --listen "unix:$sock" --state-dir "$work/state" --capture-dir "$work" \
  > "$work/brokerd.log" 2>&1 &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do ctl status > /dev/null 2>&1 && break; sleep 0.1; done
ctl status | head -5

echo
echo "== 3. brokerctl config set: examples/seed.conf with the taps and analyzers bound to captures"
# The seed itself, each port line given a binding: taps read the generated captures at their
# recorded pace, analyzers write one capture each.
sed -E \
  -e "s|^(ingress_ports \\{ port: ([0-9]+) name: \"tap-([0-9]+)\") \\}|\\1 binding { pcap_file: \"taps/tap-\\3.pcap\" pace: 1 } }|" \
  -e "s|^(egress_ports \\{ port: ([0-9]+) name: \"analyzer-([0-9]+)\")(.*) \\}|\\1\\4 binding { pcap_file: \"analyzers/analyzer-\\3.pcap\" } }|" \
  examples/seed.conf > "$work/seed-bound.conf"
ctl config set "$work/seed-bound.conf"

echo
echo "== 4. live membership change while the traffic flows"
sleep 0.7
ctl group remove-member analyzers 3
sleep 0.6
ctl group add-member analyzers 3
ctl status --wait-bindings 60 > /dev/null

echo
echo "== 5. counters: every packet in came out; utilization per analyzer"
ctl counters
ctl --json counters > "$work/counters.json"
/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
rx = sum(int(p.get("packets", 0)) for p in c.get("ingress", []))
tx = sum(int(p.get("packets", 0)) for p in c.get("egress", []))
drops = sum(int(p.get("drops", 0)) for p in c.get("egress", []))
line = f"packets in {rx}, packets out {tx}: " + ("none lost" if rx == tx else f"{rx - tx} MISSING")
if drops:
    line += f" ({drops} dropped whole at an analyzer capture that could not keep up, counted in DROPS)"
print(line)
sys.exit(0 if rx == tx else 1)' "$work/counters.json"

echo
kill -TERM $daemon
wait $daemon
trap - EXIT
# What the analyzers received: every frame sent to them and not dropped is in their captures.
/usr/bin/python3 -c '
import json, struct, sys, glob
c = json.load(open(sys.argv[1]))
want = sum(int(p.get("packets", 0)) - int(p.get("drops", 0)) for p in c.get("egress", []))
got = 0
for path in glob.glob(sys.argv[2] + "/*.pcap"):
    with open(path, "rb") as f:
        f.read(24)
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            f.seek(struct.unpack("<I", h[8:12])[0], 1)
            got += 1
print(f"frames in the analyzer captures: {got} of {want} sent and not dropped")
sys.exit(0 if got == want else 1)' "$work/counters.json" "$work/analyzers"
echo "brokerd stopped cleanly. Captures per analyzer: $work/analyzers/  daemon log: $work/brokerd.log"
echo "Offline, without the daemon: $bin/replay/broker-replay --config examples/seed.conf --in 0=$work/taps/tap-1.pcap --out-dir OUT --log decisions.tsv"
