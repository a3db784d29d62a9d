#!/usr/bin/env python3
"""gen_core_graph.py must refuse broken descriptions, naming what is at fault.

Usage: test_gen_errors.py GEN_CORE_GRAPH_PY CORE_GRAPH_TOML

Each case is the real description with one mistake; the generator has to exit non-zero and
mention the culprit (a message that only says "invalid" sends whoever edits the toml hunting).
The real description must pass, so a generator that rejects everything cannot pass this test.
"""
import copy
import os
import subprocess
import sys
import tempfile
import tomllib


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def to_toml(doc, prefix=""):
    """Enough TOML for the description: tables, arrays of tables, inline values."""
    out = []
    scalars = {k: v for k, v in doc.items()
               if not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict)
                                                   and k in ("port", "stream", "task", "arg"))}
    for k, v in scalars.items():
        out.append(f"{k} = {toml_value(v)}")
    for k, v in doc.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict) and k not in scalars:
            out.append(f"\n[{name}]")
            out.append(to_toml(v, name + "."))
        elif isinstance(v, list) and k not in scalars:
            for item in v:
                out.append(f"\n[[{name}]]")
                out.append(to_toml(item, name + "."))
    return "\n".join(out)


def task(doc, name):
    return next(t for t in doc["task"] if t["name"] == name)


def stream(doc, name):
    return next(s for s in doc["stream"] if s["name"] == name)


def case_cycle(d):
    task(d, "parse_eth")["args"].append({"in": "loop"})
    task(d, "parse_ip")["args"].append({"out": "loop"})
    d["stream"].append({"name": "loop", "item": "CsrWord", "depth": 2, "unit": "word", "why": "x"})


def case_two_writers(d):
    task(d, "hash")["args"].append({"out": "eth"})


def case_nobody_reads(d):
    d["stream"].append({"name": "orphan", "item": "CsrWord", "depth": 2, "unit": "word", "why": "x"})
    task(d, "stats")["args"].append({"out": "orphan"})
    # written but never read


def case_bypass_too_shallow(d):
    stream(d, "payload0")["depth"] = 20


def case_decisions_shallower(d):
    stream(d, "decision0")["depth"] = 8


def case_depth_one(d):
    stream(d, "hdr")["depth"] = 1


def case_unknown_stream(d):
    task(d, "key")["args"][0] = {"in": "parsd"}


def case_axis_bits(d):
    next(p for p in d["port"] if p["name"] == "rx0")["signals"][1] = ["TKEEP", 32]


def case_trace_word(d):
    stream(d, "key_cfg")["trace"] = True


def case_state_twice(d):
    task(d, "hash")["state"] = "key"


def case_unknown_key(d):
    task(d, "select")["latncy"] = 3


def case_missing_time(d):
    d["port"] = [p for p in d["port"] if p["name"] != "now_us"]


def case_takes_order(d):
    task(d, "select")["takes"] = ["util_bp", "now_us"]


def case_item_bits(d):
    d["item"]["HeaderItem"] = 0


def case_writes_input_port(d):
    task(d, "egress0")["args"].append({"out": "rx0"})


def case_kernel_arg_port(d):
    d["kernel"]["arg"][0]["port"] = "rx0"


CASES = [
    (case_cycle, ["cycle", "parse_eth", "parse_ip"]),
    (case_two_writers, ["eth", "hash"]),
    (case_nobody_reads, ["orphan", "no task reads"]),
    (case_bypass_too_shallow, ["payload0", "20", "least"]),
    (case_decisions_shallower, ["decision0", "8", "payload0"]),
    (case_depth_one, ["hdr", "depth"]),
    (case_unknown_stream, ["key", "parsd"]),
    (case_axis_bits, ["rx0", "AxisBeat"]),
    (case_trace_word, ["key_cfg", "traced"]),
    (case_state_twice, ["hash", "key"]),
    (case_unknown_key, ["select", "latncy"]),
    (case_missing_time, ["now_us"]),
    (case_takes_order, ["select", "takes"]),
    (case_item_bits, ["HeaderItem"]),
    (case_writes_input_port, ["egress0", "rx0"]),
    (case_kernel_arg_port, ["kernel arg", "id"]),
]


def run(gen, text, tmp):
    path = os.path.join(tmp, "graph.toml")
    with open(path, "w") as f:
        f.write(text)
    return subprocess.run([sys.executable, gen, path, "--check"], capture_output=True, text=True)


def main():
    gen, real = sys.argv[1], sys.argv[2]
    with open(real, "rb") as f:
        base = tomllib.load(f)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        res = run(gen, to_toml(base), tmp)
        if res.returncode != 0:
            print(f"FAIL: the real description, re-written, is refused:\n{res.stderr}")
            return 1
        print("ok: the real description passes")
        for make, words in CASES:
            d = copy.deepcopy(base)
            make(d)
            res = run(gen, to_toml(d), tmp)
            msg = res.stderr
            missing = [w for w in words if w not in msg]
            if res.returncode == 0 or missing:
                failures += 1
                print(f"FAIL: {make.__name__}: exit {res.returncode}, message lacks {missing}:\n{msg}")
            else:
                print(f"ok: {make.__name__}: {msg.strip().splitlines()[0]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
