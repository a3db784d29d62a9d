#!/usr/bin/env python3
"""gen_regmap.py must refuse broken maps, naming the register at fault.

Usage: test_gen_errors.py GEN_REGMAP_PY [REAL_MAP_TOML]

Each case is a small map that is valid except for one mistake; the generator has to exit
non-zero and mention the culprit, because a message that only says "invalid map" sends
whoever edits the toml hunting. A valid map (and the real one, when given) must pass, so a
generator that rejects everything cannot pass this test.
"""
import os
import subprocess
import sys
import tempfile

HEADER = """
[regmap]
name = "t"
id = 0x12345678
version_major = 1
version_minor = 0
aperture = 0x1000

[params]
ports = 4
bucket_bits = 3
"""

VALID = HEADER + """
[[block]]
name = "id"
base = 0x0
  [[block.reg]]
  name = "ID"
  offset = 0x0
  access = "ro"
  reset = 0x12345678
  [[block.reg]]
  name = "MODE"
  offset = 0x4
  access = "rw"
  reset = 0x11
  fields = [
    { name = "ON", lsb = 0, width = 1 },
    { name = "KIND", lsb = 4, width = 2, enum = { A = 0, B = 1 } },
  ]

[[block]]
name = "port"
base = 0x100
count = "ports*buckets/8"
stride = 0x10
  [[block.reg]]
  name = "PKTS_LO"
  offset = 0x0
  access = "ro"
  counter64 = "PKTS"
  [[block.reg]]
  name = "PKTS_HI"
  offset = 0x4
  access = "ro"
"""

# (case name, toml text, strings every one of which must appear in the error output)
CASES = [
    ("overlap within a block",
     VALID.replace('name = "MODE"\n  offset = 0x4', 'name = "MODE"\n  offset = 0x0'),
     ["MODE", "ID", "overlap"]),
    ("overlap between blocks through repeats",
     # port spans 0x100..0x140; a block at 0x130 collides with its fourth instance.
     VALID + """
[[block]]
name = "late"
base = 0x130
  [[block.reg]]
  name = "LATE"
  offset = 0x0
  access = "rw"
""",
     ["LATE", "PKTS_LO[3]"]),
    ("block span runs into the next block",
     # No register collides (the hole at +0x8 of instance 3), but the span does.
     VALID + """
[[block]]
name = "hole"
base = 0x138
  [[block.reg]]
  name = "HOLE"
  offset = 0x0
  access = "rw"
""",
     ["port", "hole"]),
    ("field beyond 32 bits",
     VALID.replace('{ name = "KIND", lsb = 4, width = 2', '{ name = "KIND", lsb = 30, width = 4'),
     ["MODE", "KIND", "31"]),
    ("fields overlap",
     VALID.replace('{ name = "KIND", lsb = 4, width = 2', '{ name = "KIND", lsb = 0, width = 2'),
     ["MODE", "KIND", "ON"]),
    ("reset not fitting its fields",
     VALID.replace("reset = 0x11", "reset = 0x111"),
     ["MODE", "reset"]),
    ("reset wider than 32 bits",
     VALID.replace("reset = 0x12345678", "reset = 0x123456789"),
     ["ID", "reset"]),
    ("enum value wider than its field",
     VALID.replace("B = 1 }", "B = 4 }"),
     ["MODE", "KIND", "B"]),
    ("unknown access",
     VALID.replace('name = "MODE"\n  offset = 0x4\n  access = "rw"', 'name = "MODE"\n  offset = 0x4\n  access = "rx"'),
     ["MODE", "rx"]),
    ("offset beyond stride",
     VALID.replace('name = "PKTS_HI"\n  offset = 0x4', 'name = "PKTS_HI"\n  offset = 0x10'),
     ["PKTS_HI", "stride"]),
    ("unaligned offset",
     VALID.replace('name = "MODE"\n  offset = 0x4', 'name = "MODE"\n  offset = 0x6'),
     ["MODE", "aligned"]),
    ("aperture exceeded",
     VALID + """
[[block]]
name = "far"
base = 0x1000
  [[block.reg]]
  name = "FAR"
  offset = 0x0
  access = "rw"
""",
     ["FAR", "aperture"]),
    ("counter64 without its HI word",
     VALID.replace('name = "PKTS_HI"', 'name = "PKTS_HIGH"'),
     ["PKTS_LO", "PKTS_HI"]),
    ("duplicate register name",
     VALID.replace('name = "PKTS_HI"', 'name = "MODE"'),
     ["MODE", "duplicate"]),
    ("unknown parameter in count",
     VALID.replace('count = "ports*buckets/8"', 'count = "port*buckets/8"'),
     ["port", "count"]),
    ("misspelt key",
     VALID.replace('name = "MODE"\n  offset = 0x4\n  access = "rw"\n  reset', 'name = "MODE"\n  offset = 0x4\n  access = "rw"\n  rest'),
     ["MODE", "rest"]),
    ("generated names collide",
     # Block "port" emits PORT_COUNT; a register of that name would redefine it.
     VALID.replace('name = "PKTS_HI"\n  offset = 0x4\n  access = "ro"\n',
                   'name = "PKTS_HI"\n  offset = 0x4\n  access = "ro"\n'
                   '  [[block.reg]]\n  name = "PORT_COUNT"\n  offset = 0x8\n  access = "rw"\n'),
     ["PORT_COUNT", "block port"]),
]


def run(gen: str, path: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, gen, path, "--check"], capture_output=True, text=True, timeout=60)


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    gen = sys.argv[1]
    real = sys.argv[2] if len(sys.argv) > 2 else None
    failures = 0
    with tempfile.TemporaryDirectory(prefix="regmap_errors_") as tmp:
        ok_path = os.path.join(tmp, "valid.toml")
        with open(ok_path, "w") as f:
            f.write(VALID)
        p = run(gen, ok_path)
        if p.returncode != 0:
            print(f"FAIL valid map rejected:\n{p.stderr}")
            failures += 1
        else:
            print("ok   valid map accepted")
        # The valid map also has to generate, not just validate.
        p = subprocess.run([sys.executable, gen, ok_path, "--outdir", os.path.join(tmp, "out")],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0 or sorted(os.listdir(os.path.join(tmp, "out"))) != \
                ["REGMAP.md", "broker_regmap.h", "broker_regmap_pkg.sv"]:
            print(f"FAIL valid map did not generate:\n{p.stderr}")
            failures += 1
        if real:
            p = run(gen, real)
            if p.returncode != 0:
                print(f"FAIL real map rejected:\n{p.stderr}")
                failures += 1
            else:
                print("ok   real map accepted")

        for i, (name, text, needles) in enumerate(CASES):
            assert text != VALID, f"case '{name}' did not change the map (stale replace pattern)"
            path = os.path.join(tmp, f"case{i}.toml")
            with open(path, "w") as f:
                f.write(text)
            p = run(gen, path)
            out = p.stdout + p.stderr
            missing = [n for n in needles if n not in out]
            if p.returncode == 0:
                print(f"FAIL {name}: accepted")
                failures += 1
            elif p.returncode != 1 or "Traceback" in out:
                print(f"FAIL {name}: crashed (exit {p.returncode}):\n{out}")
                failures += 1
            elif missing:
                print(f"FAIL {name}: message lacks {missing}:\n{out}")
                failures += 1
            else:
                print(f"ok   {name}: {out.strip().splitlines()[0]}")
    print(f"{len(CASES)} broken maps, {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
