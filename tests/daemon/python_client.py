#!/usr/bin/python3
"""A client that knows nothing of the project's C++: Debian's python3-grpcio and
python3-protobuf with the stubs generated from proto/ (target broker_proto_python, into
${CMAKE_BINARY_DIR}/python, which must be on PYTHONPATH).

Starts brokerd on a Unix socket in a temporary directory, calls GetCapabilities and
GetCounters (and a SetConfig/GetConfig round trip), checks a few fields, stops the daemon
with SIGTERM and checks that it exits 0.

    PYTHONPATH=build/python /usr/bin/python3 tests/daemon/python_client.py --brokerd build/sw/daemon/brokerd
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


try:
    import grpc
except ImportError as e:
    fail(f"cannot import grpc ({e}) in {sys.executable}: install Debian's python3-grpcio and "
         "python3-protobuf (scripts/install-deps.sh does) and run this with /usr/bin/python3")

try:
    from broker.v1 import broker_pb2, broker_pb2_grpc, config_pb2
except ImportError as e:
    fail(f"cannot import the generated stubs broker.v1.broker_pb2/_grpc ({e}); build the "
         f"broker_proto_python target and put its output directory on PYTHONPATH "
         f"(PYTHONPATH={os.environ.get('PYTHONPATH', '')!r})")


def wait_ready(stub, proc, log_path, deadline_s=10.0):
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end:
        if proc.poll() is not None:
            fail(f"brokerd exited with {proc.returncode} before it answered; log:\n"
                 + open(log_path).read())
        try:
            return stub.GetCapabilities(broker_pb2.GetCapabilitiesRequest(), timeout=0.5)
        except grpc.RpcError as e:
            last = e
            time.sleep(0.05)
    fail(f"brokerd did not answer GetCapabilities within {deadline_s} s ({last}); log:\n"
         + open(log_path).read())


def check(condition, message):
    if not condition:
        fail(message)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brokerd", required=True, help="path of the brokerd binary")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="brokerd-py-")
    sock = os.path.join(tmp, "brokerd.sock")
    log_path = os.path.join(tmp, "brokerd.log")
    proc = None
    try:
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                [args.brokerd, "--listen", "unix:" + sock, "--state-dir", os.path.join(tmp, "state")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        # Connect once the socket exists, so the channel does not start in reconnect backoff.
        end = time.monotonic() + 10
        while not os.path.exists(sock) and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.01)
        channel = grpc.insecure_channel("unix:" + sock, options=[
            ("grpc.initial_reconnect_backoff_ms", 50), ("grpc.min_reconnect_backoff_ms", 50),
            ("grpc.max_reconnect_backoff_ms", 200)])
        stub = broker_pb2_grpc.BrokerStub(channel)

        caps = wait_ready(stub, proc, log_path)
        print(f"GetCapabilities: api_version={caps.api_version} card_kind={caps.card_kind} "
              f"software_version={caps.software_version} data_path.id=0x{caps.data_path.id:08X} "
              f"limits: ingress={caps.limits.ingress_ports} egress={caps.limits.egress_ports} "
              f"groups={caps.limits.groups} members={caps.limits.members_per_group} "
              f"buckets={caps.limits.buckets_per_group}")
        check(caps.api_version == "broker.v1", f"api_version {caps.api_version!r}")
        check(caps.card_kind == "soft", f"card_kind {caps.card_kind!r}")
        check(caps.data_path.id == 0x4E504B42, f"data_path.id 0x{caps.data_path.id:08X}, want 0x4E504B42 (NPKB)")
        check((caps.limits.ingress_ports, caps.limits.egress_ports, caps.limits.groups,
               caps.limits.members_per_group, caps.limits.buckets_per_group) == (8, 16, 16, 16, 1024),
              f"limits {caps.limits}")
        check(config_pb2.HASH_CRC32 in caps.hash_functions and config_pb2.HASH_XOR16 in caps.hash_functions,
              f"hash functions {list(caps.hash_functions)}")
        check(len(caps.tuple_fields) == 13, f"tuple fields {list(caps.tuple_fields)}")

        counters = stub.GetCounters(broker_pb2.GetCountersRequest(), timeout=10)
        print(f"GetCounters: {len(counters.ingress)} ingress, {len(counters.egress)} egress, "
              f"{len(counters.groups)} groups, generation={counters.generation}, "
              f"timestamp_ns={counters.timestamp_ns}")
        check(len(counters.ingress) == 8, "ingress counters")
        check(len(counters.egress) == 16, "egress counters")
        check(counters.generation == 0, "fresh daemon at generation 0")
        check(counters.timestamp_ns > 0, "timestamp_ns")
        check(counters.HasField("data_path"), "data_path counters")
        check(all(i.binding_state == broker_pb2.BINDING_NONE for i in counters.ingress), "bindings")

        # A configuration built from the Python messages alone.
        config = config_pb2.Config(name="from-python")
        for p in range(2):
            config.ingress_ports.add(port=p, name=f"tap-{p + 1}")
        for p in range(3):
            config.egress_ports.add(port=p, name=f"tool-{p + 1}")
        config.groups.add(name="tools", ingress_ports=[0, 1], members=[0, 1, 2],
                          hash=config_pb2.HASH_CRC32, symmetric=True,
                          tuple=[config_pb2.SRC_IP, config_pb2.DST_IP], mode=config_pb2.MODE_STATIC)
        resp = stub.SetConfig(broker_pb2.SetConfigRequest(config=config), timeout=10)
        print(f"SetConfig: applied={resp.applied} generation={resp.generation}")
        check(resp.applied and resp.generation == 1, f"SetConfig {resp}")
        got = stub.GetConfig(broker_pb2.GetConfigRequest(), timeout=10)
        check(got.config == config and got.generation == 1, f"GetConfig {got}")
        try:
            stub.AddGroupMember(broker_pb2.GroupMemberRequest(group="nope", port=1), timeout=10)
            fail("AddGroupMember to an unknown group succeeded")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.NOT_FOUND, f"AddGroupMember unknown group: {e.code()}")
        channel.close()

        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            fail("brokerd did not stop within 10 s of SIGTERM")
        check(rc == 0, f"brokerd exited with {rc} after SIGTERM; log:\n" + open(log_path).read())
        check(not os.path.exists(sock), "brokerd left its socket behind")
        print("OK")
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
