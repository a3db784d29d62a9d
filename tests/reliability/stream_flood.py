#!/usr/bin/python3
"""A local caller that tries to exhaust brokerd through one socket: opens N connections (each a
channel of its own) and a StreamCounters call on each, holds them, then goes away. Run by
resource_limits_test as an unprivileged user where possible (Debian's python3-grpcio loads in
/usr/bin/python3 only). Prints one JSON line: how many streams ran and how the others ended.
Exit 3: the generated stubs or grpc cannot be imported (the caller retries as itself)."""
import argparse
import json
import sys
import time

try:
    import grpc
    from broker.v1 import broker_pb2, broker_pb2_grpc
except Exception as e:  # noqa: BLE001 - any import failure means: cannot run here
    print(f"cannot import grpc or the stubs: {e}", file=sys.stderr)
    sys.exit(3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--connections", type=int, default=300)
    ap.add_argument("--hold", type=float, default=6.0)
    a = ap.parse_args()

    calls, channels = [], []
    for _ in range(a.connections):
        # A subchannel pool of its own: one connection per channel, as separate clients would.
        ch = grpc.insecure_channel(a.target, options=[("grpc.use_local_subchannel_pool", 1)])
        stub = broker_pb2_grpc.BrokerStub(ch)
        calls.append(stub.StreamCounters(broker_pb2.StreamCountersRequest(interval_ms=1000), timeout=a.hold + 30))
        channels.append(ch)
    time.sleep(a.hold)
    running, ended = 0, {}
    for c in calls:
        if c.done():
            name = c.code().name
            ended[name] = ended.get(name, 0) + 1
        else:
            running += 1
    print(json.dumps({"running": running, "ended": ended}), flush=True)
    for c in calls:
        c.cancel()
    for ch in channels:
        ch.close()


if __name__ == "__main__":
    main()
