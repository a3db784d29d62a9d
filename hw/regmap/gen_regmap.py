#!/usr/bin/env python3
"""Register map generator: broker.regmap.toml -> C++ header, SystemVerilog package, Markdown.

Usage: gen_regmap.py SOURCE.toml --outdir DIR     (writes broker_regmap.h, broker_regmap_pkg.sv, REGMAP.md)
       gen_regmap.py SOURCE.toml --check          (validate only)

Every error found is reported (not just the first) so one edit round fixes a broken map;
each message names the register, field or block at fault. Exit status 1 on any error.
Standard library only (Python >= 3.11 for tomllib) so the build needs no pip step.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field

ACCESS = ("ro", "rw", "wo1")
ACCESS_DOC = {
    "ro": "read only",
    "rw": "read/write",
    "wo1": "write 1 to act, reads 0",
}

REG_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
BLOCK_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PARAM_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

REGMAP_KEYS = {"name", "id", "version_major", "version_minor", "aperture"}
BLOCK_KEYS = {"name", "base", "count", "stride", "desc", "reg", "counters"}
# Who keeps a block's 64-bit counters: the HLS core (read over ctr_req/ctr_rsp) or the RTL
# shell (read by the CSR block itself, so they answer while the core is busy or stuck).
COUNTER_KEEPERS = ("core", "shell")
REG_KEYS = {"name", "offset", "access", "reset", "desc", "fields", "counter64"}
FIELD_KEYS = {"name", "lsb", "width", "desc", "enum"}

# Names of the SystemVerilog package's decode helpers (gen_sv_decode), which no register,
# block or parameter may generate.
SV_HELPERS = {"RW_COUNT", "RW_INDEX_W", "reg_mapped", "reg_writable", "reg_is_rw", "reg_is_wo1",
              "reg_is_core_counter", "reg_is_shell_counter", "reg_ro_reset", "reg_rw_index", "rw_index_addr",
              "rw_index_reset"}

# Generated names that must stay free for the header's own declarations.
RESERVED = {"RegInfo", "BlockInfo", "FieldInfo", "Access", "kRegisters", "kRegisterCount",
            "kBlocks", "kBlockCount", "kFields", "kFieldCount"}


class MapError(Exception):
    pass


@dataclass
class Field:
    name: str
    lsb: int
    width: int
    desc: str
    enum: dict[str, int]

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb

    @property
    def msb(self) -> int:
        return self.lsb + self.width - 1


@dataclass
class Reg:
    name: str
    offset: int          # within the block
    access: str
    reset: int
    desc: str
    fields: list[Field]
    counter64: str | None
    block: "Block" = None  # type: ignore[assignment]
    counter64_hi: bool = False

    @property
    def is_counter(self) -> bool:
        return bool(self.counter64) or self.counter64_hi

    @property
    def is_shell_counter(self) -> bool:
        return self.is_counter and self.block.counters == "shell"

    @property
    def addr(self) -> int:
        """Absolute byte offset of instance 0."""
        return self.block.base + self.offset

    @property
    def defined_mask(self) -> int:
        if not self.fields:
            return 0xFFFFFFFF
        m = 0
        for f in self.fields:
            m |= f.mask
        return m


@dataclass
class Block:
    name: str
    base: int
    count: int
    count_expr: str | None
    stride: int
    desc: str
    counters: str = "core"   # COUNTER_KEEPERS: who keeps this block's 64-bit counters
    regs: list[Reg] = field(default_factory=list)

    @property
    def repeated(self) -> bool:
        return self.count_expr is not None

    @property
    def span(self) -> int:
        """Bytes this block occupies."""
        if self.repeated:
            return self.stride * self.count
        return max((r.offset + 4 for r in self.regs), default=0)

    @property
    def end(self) -> int:
        return self.base + self.span


@dataclass
class RegMap:
    name: str
    id: int
    version_major: int
    version_minor: int
    aperture: int
    params: dict[str, int]        # as written, in order
    derived: dict[str, int]       # computed from params (buckets)
    blocks: list[Block]

    @property
    def all_params(self) -> dict[str, int]:
        return {**self.params, **self.derived}

    def regs(self):
        for b in self.blocks:
            yield from b.regs


# --------------------------------------------------------------------------------------
# Count expressions: integers, parameter names, + - * / and parentheses. A tiny parser
# instead of eval() so a typo in the toml can never execute anything.

_TOKEN_RE = re.compile(r"\s*(?:(0x[0-9a-fA-F]+|\d+)|([a-z_][a-z0-9_]*)|(.))")


def eval_count(expr: str, params: dict[str, int]) -> int:
    tokens: list[tuple[str, object]] = []
    for m in _TOKEN_RE.finditer(expr):
        num, ident, op = m.groups()
        if num is not None:
            tokens.append(("num", int(num, 0)))
        elif ident is not None:
            if ident not in params:
                raise MapError(f"unknown parameter '{ident}' (known: {', '.join(params)})")
            tokens.append(("num", params[ident]))
        elif op is not None and op.strip():
            if op not in "+-*/()":
                raise MapError(f"unexpected character '{op}'")
            tokens.append(("op", op))
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else ("end", None)

    def take():
        nonlocal pos
        t = peek()
        pos += 1
        return t

    def primary() -> int:
        kind, val = take()
        if kind == "num":
            return val  # type: ignore[return-value]
        if (kind, val) == ("op", "("):
            v = additive()
            if take() != ("op", ")"):
                raise MapError("missing ')'")
            return v
        raise MapError("expected a number, parameter or '('")

    def term() -> int:
        v = primary()
        while peek() in (("op", "*"), ("op", "/")):
            _, op = take()
            rhs = primary()
            if op == "*":
                v *= rhs
            else:
                if rhs == 0 or v % rhs:
                    raise MapError(f"{v}/{rhs} is not an exact division")
                v //= rhs
        return v

    def additive() -> int:
        v = term()
        while peek() in (("op", "+"), ("op", "-")):
            _, op = take()
            rhs = term()
            v = v + rhs if op == "+" else v - rhs
        return v

    v = additive()
    if peek()[0] != "end":
        raise MapError(f"unexpected '{peek()[1]}'")
    return v


# --------------------------------------------------------------------------------------
# Loading and validation

class Checker:
    def __init__(self, source: str):
        self.source = source
        self.errors: list[str] = []

    def err(self, where: str, msg: str) -> None:
        self.errors.append(f"{self.source}: {where}: {msg}")

    def int_value(self, where: str, d: dict, key: str, *, default=None, lo=0, hi=None) -> int | None:
        v = d.get(key, default)
        if v is None:
            self.err(where, f"missing '{key}'")
            return None
        if not isinstance(v, int) or isinstance(v, bool):
            self.err(where, f"'{key}' must be an integer, got {v!r}")
            return None
        if v < lo or (hi is not None and v > hi):
            rng = f"{lo}..{hi:#x}" if hi is not None else f">= {lo}"
            self.err(where, f"'{key}' = {v:#x} out of range ({rng})")
            return None
        return v

    def unknown_keys(self, where: str, d: dict, allowed: set[str]) -> None:
        for k in d:
            if k not in allowed:
                self.err(where, f"unknown key '{k}' (allowed: {', '.join(sorted(allowed))})")


def load(path: str) -> RegMap:
    source = os.path.basename(path)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise MapError(f"{source}: not valid TOML: {e}") from None
    except OSError as e:
        raise MapError(f"{source}: {e.strerror}") from None

    c = Checker(source)
    c.unknown_keys("top level", doc, {"regmap", "params", "block"})

    top = doc.get("regmap", {})
    c.unknown_keys("[regmap]", top, REGMAP_KEYS)
    name = top.get("name", "regmap")
    map_id = c.int_value("[regmap]", top, "id", hi=0xFFFFFFFF) or 0
    vmaj = c.int_value("[regmap]", top, "version_major", hi=0xFFFF) or 0
    vmin = c.int_value("[regmap]", top, "version_minor", hi=0xFFFF) or 0
    aperture = c.int_value("[regmap]", top, "aperture", lo=4, hi=1 << 32) or (1 << 32)
    if aperture % 4:
        c.err("[regmap]", f"aperture {aperture:#x} is not a multiple of 4")

    params: dict[str, int] = {}
    for k, v in doc.get("params", {}).items():
        if not PARAM_NAME_RE.match(k):
            c.err(f"param {k}", "names are lower_snake_case")
        elif not isinstance(v, int) or isinstance(v, bool) or v < 0:
            c.err(f"param {k}", f"must be a non-negative integer, got {v!r}")
        else:
            params[k] = v
    derived: dict[str, int] = {}
    if "bucket_bits" in params:
        if "buckets" in params:
            c.err("param buckets", "is derived from bucket_bits (2^bucket_bits); do not set it")
        else:
            derived["buckets"] = 1 << params["bucket_bits"]
    all_params = {**params, **derived}

    blocks: list[Block] = []
    seen_blocks: set[str] = set()
    seen_regs: dict[str, str] = {}
    for bi, bd in enumerate(doc.get("block", [])):
        bname = bd.get("name", f"#{bi}")
        where = f"block {bname}"
        c.unknown_keys(where, bd, BLOCK_KEYS)
        if not isinstance(bname, str) or not BLOCK_NAME_RE.match(bname):
            c.err(where, "block names are lower_snake_case")
        if bname in seen_blocks:
            c.err(where, "duplicate block name")
        seen_blocks.add(bname)
        base = c.int_value(where, bd, "base", hi=0xFFFFFFFF)
        if base is not None and base % 4:
            c.err(where, f"base {base:#x} is not 4-byte aligned")
        count_expr = bd.get("count")
        count = 1
        if count_expr is not None:
            if isinstance(count_expr, int) and not isinstance(count_expr, bool):
                count = count_expr
                count_expr = str(count_expr)
            elif isinstance(count_expr, str):
                try:
                    count = eval_count(count_expr, all_params)
                except MapError as e:
                    c.err(where, f"count \"{count_expr}\": {e}")
                    count = 1
            else:
                c.err(where, f"count must be an integer or an expression of params, got {count_expr!r}")
                count_expr = None
            if count < 1:
                c.err(where, f"count \"{count_expr}\" = {count} (must be >= 1)")
                count = 1
        stride = 0
        if "stride" in bd:
            stride = c.int_value(where, bd, "stride", lo=4, hi=0xFFFFFFFF) or 0
            if stride % 4:
                c.err(where, f"stride {stride:#x} is not a multiple of 4")
            if count_expr is None:
                c.err(where, "stride without count")
        elif count_expr is not None:
            c.err(where, "count without stride")
        counters = bd.get("counters", "core")
        if counters not in COUNTER_KEEPERS:
            c.err(where, f"counters must be one of {', '.join(COUNTER_KEEPERS)}, got {counters!r}")
            counters = "core"
        block = Block(bname, base or 0, count, count_expr, stride, bd.get("desc", ""), counters)

        for ri, rd in enumerate(bd.get("reg", [])):
            rname = rd.get("name", f"#{ri}")
            rwhere = f"register {rname} (block {bname})"
            c.unknown_keys(rwhere, rd, REG_KEYS)
            if not isinstance(rname, str) or not REG_NAME_RE.match(rname):
                c.err(rwhere, "register names are UPPER_SNAKE_CASE")
            elif rname in seen_regs:
                c.err(rwhere, f"duplicate register name (also in block {seen_regs[rname]})")
            else:
                seen_regs[rname] = bname
            offset = c.int_value(rwhere, rd, "offset", hi=0xFFFFFFFF)
            if offset is not None:
                if offset % 4:
                    c.err(rwhere, f"offset {offset:#x} is not 4-byte aligned")
                if block.repeated and stride and offset + 4 > stride:
                    c.err(rwhere, f"offset {offset:#x} does not fit the block stride {stride:#x}")
            access = rd.get("access")
            if access not in ACCESS:
                c.err(rwhere, f"unknown access {access!r} (one of {', '.join(ACCESS)})")
            reset = c.int_value(rwhere, rd, "reset", default=0, hi=0xFFFFFFFF)
            if reset is None:
                reset = 0
            if access == "wo1" and reset:
                c.err(rwhere, f"wo1 registers read 0, so reset must be 0 (got {reset:#x})")
            counter = rd.get("counter64")
            if counter is not None and (not isinstance(counter, str) or not REG_NAME_RE.match(counter)):
                c.err(rwhere, f"counter64 must be an UPPER_SNAKE_CASE name, got {counter!r}")
                counter = None

            fields: list[Field] = []
            fd_list = rd.get("fields", [])
            if not isinstance(fd_list, list):
                c.err(rwhere, "fields must be an array of tables")
                fd_list = []
            for fi, fd in enumerate(fd_list):
                fname = fd.get("name", f"#{fi}")
                fwhere = f"register {rname} field {fname}"
                c.unknown_keys(fwhere, fd, FIELD_KEYS)
                if not isinstance(fname, str) or not REG_NAME_RE.match(fname):
                    c.err(fwhere, "field names are UPPER_SNAKE_CASE")
                lsb = c.int_value(fwhere, fd, "lsb", hi=1 << 16)
                width = c.int_value(fwhere, fd, "width", lo=1, hi=1 << 16)
                if lsb is None or width is None:
                    continue
                if lsb + width > 32:
                    c.err(fwhere, f"bits [{lsb + width - 1}:{lsb}] go beyond bit 31")
                    continue
                enum: dict[str, int] = {}
                for ename, ev in (fd.get("enum") or {}).items():
                    if not REG_NAME_RE.match(ename):
                        c.err(fwhere, f"enum name '{ename}' is not UPPER_SNAKE_CASE")
                    elif not isinstance(ev, int) or isinstance(ev, bool) or not 0 <= ev < (1 << width):
                        c.err(fwhere, f"enum {ename} = {ev!r} does not fit {width} bit(s)")
                    elif ev in enum.values():
                        other = next(k for k, v in enum.items() if v == ev)
                        c.err(fwhere, f"enum {ename} repeats the value {ev} of {other}")
                    else:
                        enum[ename] = ev
                f = Field(fname, lsb, width, fd.get("desc", ""), enum)
                for g in fields:
                    if g.name == f.name:
                        c.err(fwhere, "duplicate field name")
                    elif g.mask & f.mask:
                        c.err(fwhere, f"bits [{f.msb}:{f.lsb}] overlap field {g.name} [{g.msb}:{g.lsb}]")
                fields.append(f)
            if fields:
                defined = 0
                for f in fields:
                    defined |= f.mask
                stray = reset & ~defined & 0xFFFFFFFF
                if stray:
                    c.err(rwhere, f"reset {reset:#010x} sets bits {stray:#010x} outside its fields")
            block.regs.append(Reg(rname, offset or 0, access or "ro", reset, rd.get("desc", ""),
                                  fields, counter, block))
        if not block.regs:
            c.err(where, "has no registers")
        block.regs.sort(key=lambda r: r.offset)
        blocks.append(block)

    if not blocks:
        c.err("top level", "no [[block]] defined")
    rm = RegMap(name, map_id, vmaj, vmin, aperture, params, derived, blocks)
    check_layout(rm, c)
    check_counters(rm, c)
    check_names(rm, c)
    if c.errors:
        raise MapError("\n".join(c.errors))
    return rm


def check_layout(rm: RegMap, c: Checker) -> None:
    # Register-level: every instance of every register, so a clash between a repeat of one
    # block and another block is caught even when the block extents look plausible.
    owner: dict[int, str] = {}
    for r in rm.regs():
        b = r.block
        for i in range(b.count):
            a = r.addr + i * b.stride
            tag = f"{r.name}[{i}]" if b.repeated else r.name
            if a + 4 > rm.aperture:
                c.err(f"register {tag} (block {b.name})",
                      f"offset {a:#x} is beyond the aperture {rm.aperture:#x}")
                break
            if a in owner:
                c.err(f"register {tag} (block {b.name})", f"offset {a:#x} overlaps register {owner[a]}")
                break
            owner[a] = tag
    # Block-level: a repeated block owns its whole stride*count span, holes included, so
    # the RTL can decode it by range.
    ordered = sorted(rm.blocks, key=lambda b: b.base)
    for b, nxt in zip(ordered, ordered[1:]):
        if b.end > nxt.base:
            what = f"count {b.count} x stride {b.stride:#x}" if b.repeated else "its registers"
            c.err(f"block {b.name}", f"{what} end at {b.end:#x}, beyond the next block "
                                     f"{nxt.name} at {nxt.base:#x}")
    for b in rm.blocks:
        if b.end > rm.aperture:
            c.err(f"block {b.name}", f"ends at {b.end:#x}, beyond the aperture {rm.aperture:#x}")


def check_counters(rm: RegMap, c: Checker) -> None:
    for b in rm.blocks:
        by_offset = {r.offset: r for r in b.regs}
        for r in b.regs:
            if r.counter64 is None:
                continue
            where = f"register {r.name} (block {b.name})"
            if r.name != f"{r.counter64}_LO":
                c.err(where, f"counter64 '{r.counter64}' LO register must be named {r.counter64}_LO")
            hi = by_offset.get(r.offset + 4)
            if hi is None or hi.name != f"{r.counter64}_HI":
                found = f"found {hi.name}" if hi else "found nothing"
                c.err(where, f"counter64 '{r.counter64}' needs {r.counter64}_HI at offset "
                             f"{r.offset + 4:#x} of the same block ({found})")
                continue
            if hi.counter64 is not None:
                c.err(f"register {hi.name} (block {b.name})", "a counter64 HI word cannot start a counter")
            if r.access != "ro" or hi.access != "ro":
                c.err(where, "counter64 LO/HI registers are ro")
            if r.fields or hi.fields:
                c.err(where, "counter64 LO/HI registers have no fields")
            hi.counter64_hi = True


def check_names(rm: RegMap, c: Checker) -> None:
    """Every identifier the generators emit must be unique (C++ and SV share the names)."""
    names: dict[str, str] = {}

    def claim(ident: str, what: str) -> None:
        if ident in RESERVED:
            c.err(what, f"generates '{ident}', which the header itself uses")
        elif ident in names:
            if names[ident] == what:
                return  # a duplicate name, already reported as such
            c.err(what, f"generates '{ident}', already generated by {names[ident]}")
        else:
            names[ident] = what

    for p in rm.all_params:
        claim(p.upper(), f"param {p}")
    for ident in SV_HELPERS:
        claim(ident, "the SystemVerilog decode helpers")
    for ident in ("REGMAP_ID", "REGMAP_VERSION_MAJOR", "REGMAP_VERSION_MINOR", "REGMAP_APERTURE"):
        claim(ident, "[regmap]")
    for b in rm.blocks:
        for suffix in ("BASE", "STRIDE", "COUNT"):
            claim(f"{b.name.upper()}_{suffix}", f"block {b.name}")
        if b.repeated:
            claim(f"{b.name.upper()}_INDEX_W", f"block {b.name}")
            claim(f"{b.name}_index", f"block {b.name}")
    for r in rm.regs():
        what = f"register {r.name}"
        claim(r.name, what)
        claim(f"{r.name}_at", what)
        claim(f"{r.name}_RESET", what)
        claim(f"{r.name}_MASK", what)
        claim(f"is_{r.name.lower()}", what)
        if r.access == "rw":
            claim(f"RW_BASE_{r.name}", what)
        for f in r.fields:
            fw = f"register {r.name} field {f.name}"
            for suffix in ("LSB", "WIDTH", "MASK"):
                claim(f"{r.name}_{f.name}_{suffix}", fw)
            for e in f.enum:
                claim(f"{r.name}_{f.name}_{e}", f"{fw} enum {e}")


# --------------------------------------------------------------------------------------
# Emitters

def camel(name: str) -> str:
    return "k" + "".join(p.capitalize() for p in name.split("_"))


def hex32(v: int) -> str:
    return f"0x{v:08X}u"


def cpp_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def one_line(s: str) -> str:
    return " ".join(s.split())


def gen_header(rm: RegMap, source: str) -> str:
    o: list[str] = []
    w = o.append
    w(f"// Generated by gen_regmap.py from {source}: do not edit; edit the .toml instead.")
    w("// Register map of the packet-broker data path. Offsets are bytes from the start of the")
    w("// AXI4-Lite aperture; `<REG>` is instance 0, `<REG>_at(i)` instance i of a repeated block")
    w("// (not range checked, so it stays usable in HLS code; compare i with <BLOCK>_COUNT).")
    w("// <REG>_MASK: the bits its fields cover (all ones without fields); field enum constants")
    w("// are field values, not shifted.")
    w("// Kept to C++14 so the Vitis HLS front end can include it too.")
    w("#pragma once")
    w("#include <stddef.h>")
    w("#include <stdint.h>")
    w("")
    w('#include "core_params.h"')
    w("")
    w("namespace broker {")
    w("namespace regmap {")
    w("")
    w(f"constexpr uint32_t kId = {hex32(rm.id)};")
    w(f"constexpr uint32_t kVersionMajor = {rm.version_major}u;")
    w(f"constexpr uint32_t kVersionMinor = {rm.version_minor}u;")
    w(f"constexpr uint32_t kAperture = {hex32(rm.aperture)};")
    w("")
    w("// Sizes the map was laid out for; a mismatch with the core would put registers the core")
    w("// does not decode (or miss ones it does), so it is a compile error rather than a bug.")
    for p, v in rm.all_params.items():
        w(f"constexpr uint32_t {camel(p)} = {v}u;")
    for p in rm.all_params:
        k = camel(p)
        w(f"static_assert({k} == static_cast<uint32_t>(::broker::core::{k}), "
          f"\"regmap param {p} differs from core_params.h {k}: regenerate or fix one of them\");")
    w("")
    w("enum class Access : uint8_t { kRO, kRW, kWO1 };")
    w("")
    for b in rm.blocks:
        B = b.name.upper()
        w("// " + "-" * 86)
        w(f"// Block {b.name}: {one_line(b.desc)}")
        if b.repeated:
            w(f"// {b.count} instances ({b.count_expr}), every {b.stride:#x} bytes.")
        w(f"constexpr uint32_t {B}_BASE = {hex32(b.base)};")
        w(f"constexpr uint32_t {B}_STRIDE = {hex32(b.stride if b.repeated else 0)};")
        w(f"constexpr uint32_t {B}_COUNT = {b.count}u;")
        for r in b.regs:
            w("")
            w(f"// {r.name} ({r.access}): {one_line(r.desc)}")
            w(f"constexpr uint32_t {r.name} = {hex32(r.addr)};")
            if b.repeated:
                w(f"constexpr uint32_t {r.name}_at(uint32_t i) {{ return {r.name} + i * {B}_STRIDE; }}")
            w(f"constexpr uint32_t {r.name}_RESET = {hex32(r.reset)};")
            w(f"constexpr uint32_t {r.name}_MASK = {hex32(r.defined_mask)};")
            for f in r.fields:
                p = f"{r.name}_{f.name}"
                w(f"constexpr uint32_t {p}_LSB = {f.lsb}u;")
                w(f"constexpr uint32_t {p}_WIDTH = {f.width}u;")
                w(f"constexpr uint32_t {p}_MASK = {hex32(f.mask)};")
                for e, v in f.enum.items():
                    w(f"constexpr uint32_t {p}_{e} = {v}u;")
        w("")
    w("// " + "-" * 86)
    w("// Tables for tests, dumps and the soft register file.")
    w("")
    w("struct BlockInfo {")
    w("  const char* name;")
    w("  uint32_t base;")
    w("  uint32_t stride;  // 0 for a block that does not repeat")
    w("  uint32_t count;")
    w("};")
    w("")
    w("constexpr BlockInfo kBlocks[] = {")
    for b in rm.blocks:
        B = b.name.upper()
        w(f"    {{{cpp_string(b.name)}, {B}_BASE, {B}_STRIDE, {B}_COUNT}},")
    w("};")
    w("constexpr size_t kBlockCount = sizeof(kBlocks) / sizeof(kBlocks[0]);")
    w("")
    w("struct RegInfo {")
    w("  const char* name;")
    w("  size_t block;             // index into kBlocks")
    w("  uint32_t offset;          // instance 0")
    w("  uint32_t stride;          // of the block; 0 when it does not repeat")
    w("  uint32_t count;           // instances")
    w("  Access access;")
    w("  uint32_t reset;")
    w("  uint32_t mask;            // bits its fields cover; all ones for a field-less register")
    w("  bool is_counter64_lo;     // reading it latches the HI word at offset + 4")
    w("  bool is_counter64_hi;")
    w("  const char* counter64;    // the 64-bit counter's name, or \"\"")
    w("  bool in_shell;            // a counter word the RTL shell keeps (not the core)")
    w("};")
    w("")
    acc = {"ro": "Access::kRO", "rw": "Access::kRW", "wo1": "Access::kWO1"}
    w("constexpr RegInfo kRegisters[] = {")
    block_index = {id(b): i for i, b in enumerate(rm.blocks)}
    for r in rm.regs():
        B = r.block.name.upper()
        bi = block_index[id(r.block)]
        lo = "true" if r.counter64 else "false"
        hi = "true" if r.counter64_hi else "false"
        w(f"    {{{cpp_string(r.name)}, {bi}, {r.name}, {B}_STRIDE, {B}_COUNT, {acc[r.access]}, "
          f"{r.name}_RESET, {hex32(r.defined_mask)}, {lo}, {hi}, {cpp_string(r.counter64 or '')}, "
          f"{'true' if r.is_shell_counter else 'false'}}},")
    w("};")
    w("constexpr size_t kRegisterCount = sizeof(kRegisters) / sizeof(kRegisters[0]);")
    w("")
    w("struct FieldInfo {")
    w("  size_t reg;  // index into kRegisters")
    w("  const char* name;")
    w("  uint32_t lsb;")
    w("  uint32_t width;")
    w("  uint32_t mask;  // in place")
    w("};")
    w("")
    rows = [f"    {{{ri}, {cpp_string(f.name)}, {r.name}_{f.name}_LSB, {r.name}_{f.name}_WIDTH, "
            f"{r.name}_{f.name}_MASK}},"
            for ri, r in enumerate(rm.regs()) for f in r.fields]
    if rows:
        w("constexpr FieldInfo kFields[] = {")
        o.extend(rows)
        w("};")
        w("constexpr size_t kFieldCount = sizeof(kFields) / sizeof(kFields[0]);")
    else:
        # A zero-length array is ill-formed; keep the names so generic code still compiles.
        w("constexpr const FieldInfo* kFields = nullptr;")
        w("constexpr size_t kFieldCount = 0;")
    w("")
    w("}  // namespace regmap")
    w("}  // namespace broker")
    w("")
    return "\n".join(o)


def sv_hex(v: int, bits: int = 32) -> str:
    digits = max(1, (bits + 3) // 4)
    s = f"{v:0{digits}X}"
    if len(s) > 4:
        # Group in fours from the right for readability.
        s = "_".join(s[max(0, i - 4):i] for i in range(len(s), 0, -4)[::-1])
    return f"{bits}'h{s}"


def gen_sv(rm: RegMap, source: str) -> str:
    o: list[str] = []
    w = o.append
    w(f"// Generated by gen_regmap.py from {source}: do not edit; edit the .toml instead.")
    w("// Register map of the packet-broker data path: byte offsets from the AXI4-Lite base.")
    w("// <REG> is instance 0; instance i of a repeated block is <REG> + i * <BLOCK>_STRIDE.")
    w("// <REG>_MASK: the bits its fields cover (all ones without fields). Enum values are field")
    w("// values, not shifted.")
    w("package broker_regmap_pkg;")
    w("")
    w("  // Every importer uses a handful of these; without the waiver -Wall would flag the rest")
    w("  // in each module that imports the package.")
    w("  /* verilator lint_off UNUSEDPARAM */")
    w("")
    w(f"  localparam logic [31:0] REGMAP_ID = {sv_hex(rm.id)};")
    w(f"  localparam int unsigned REGMAP_VERSION_MAJOR = {rm.version_major};")
    w(f"  localparam int unsigned REGMAP_VERSION_MINOR = {rm.version_minor};")
    # The aperture may be 2^32 which does not fit 32 bits; use 33.
    w(f"  localparam logic [32:0] REGMAP_APERTURE = {sv_hex(rm.aperture, 33)};")
    w("")
    for p, v in rm.all_params.items():
        w(f"  localparam int unsigned {p.upper()} = {v};")
    for b in rm.blocks:
        B = b.name.upper()
        w("")
        w("  // " + "-" * 84)
        w(f"  // Block {b.name}: {one_line(b.desc)}")
        w(f"  localparam logic [31:0] {B}_BASE = {sv_hex(b.base)};")
        w(f"  localparam logic [31:0] {B}_STRIDE = {sv_hex(b.stride if b.repeated else 0)};")
        w(f"  localparam int unsigned {B}_COUNT = {b.count};")
        for r in b.regs:
            w("")
            w(f"  // {r.name} ({r.access}): {one_line(r.desc)}")
            w(f"  localparam logic [31:0] {r.name} = {sv_hex(r.addr)};")
            w(f"  localparam logic [31:0] {r.name}_RESET = {sv_hex(r.reset)};")
            w(f"  localparam logic [31:0] {r.name}_MASK = {sv_hex(r.defined_mask)};")
            for f in r.fields:
                p = f"{r.name}_{f.name}"
                w(f"  localparam int unsigned {p}_LSB = {f.lsb};")
                w(f"  localparam int unsigned {p}_WIDTH = {f.width};")
                w(f"  localparam logic [31:0] {p}_MASK = {sv_hex(f.mask)};")
                for e, v in f.enum.items():
                    w(f"  localparam logic [{f.width - 1}:0] {p}_{e} = {f.width}'d{v};")
    w("")
    o.extend(gen_sv_decode(rm))
    w("")
    w("  /* verilator lint_on UNUSEDPARAM */")
    w("")
    w("endpackage : broker_regmap_pkg")
    w("")
    return "\n".join(o)


def _log2_exact(v: int) -> int | None:
    return v.bit_length() - 1 if v > 0 and v & (v - 1) == 0 else None


def _clog2(v: int) -> int:
    return max(1, (v - 1).bit_length())


def gen_sv_decode(rm: RegMap) -> list[str]:
    """Address decode functions for the RTL CSR block, so it never hand-decodes an offset.

    Written in the SystemVerilog subset that Verilator and yosys 0.23 both take (the RTL is
    synthesized by yosys for the resource report): call them as broker_regmap_pkg::name(...).
      is_<reg>(addr)          addr is one of the instances of <REG>
      <block>_index(addr)     instance of a repeated block that addr falls in (not checked)
      reg_mapped / reg_writable (rw or wo1) / reg_is_rw / reg_is_wo1 / reg_is_core_counter
                              (a counter64 LO or HI word kept by the core) / reg_is_shell_counter
                              (one kept by the shell) of any instance
      reg_ro_reset(addr)      reset value of a read-only register that is not a counter
      reg_rw_index(addr)      dense index 0..RW_COUNT-1 of a read/write register instance,
                              register by register in map order, instances in order
      rw_index_addr(i), rw_index_reset(i): the inverse, for a reset sweep.
    """
    o: list[str] = []
    w = o.append
    rw_regs = [r for r in rm.regs() if r.access == "rw"]
    rw_base: dict[str, int] = {}
    n = 0
    for r in rw_regs:
        rw_base[r.name] = n
        n += r.block.count
    rw_count = max(n, 1)
    iw = _clog2(rw_count)

    def instance_expr(d: str, b: Block) -> tuple[str, str]:
        """(aligned, index) expressions on the 32-bit offset d from instance 0."""
        sh = _log2_exact(b.stride)
        if sh is not None:
            return f"({d}[{sh - 1}:0] == {sh}'d0)", f"({d} >> {sh})"
        return f"(({d} % 32'd{b.stride}) == 32'd0)", f"({d} / 32'd{b.stride})"

    w("  // " + "-" * 84)
    w("  // Decode helpers for the RTL CSR block (generated: they follow the map, every instance of")
    w("  // every repeated block). Call as broker_regmap_pkg::<name>(addr). Byte addresses.")
    w("  // reg_rw_index(): dense index of a rw register instance, for a shadow RAM of RW_COUNT")
    w("  // words; rw_index_addr()/rw_index_reset() invert it (reset sweep).")
    w("  // The helpers do their arithmetic on whole 32-bit offsets and return only the index bits;")
    w("  // the high bits of those intermediates are unused by design.")
    w("  /* verilator lint_off UNUSEDSIGNAL */")
    w(f"  localparam int unsigned RW_COUNT = {rw_count};")
    w(f"  localparam int unsigned RW_INDEX_W = {iw};")
    for r in rw_regs:
        w(f"  localparam int unsigned RW_BASE_{r.name} = {rw_base[r.name]};")
    for b in rm.blocks:
        if b.repeated:
            w(f"  localparam int unsigned {b.name.upper()}_INDEX_W = {_clog2(b.count)};")
    w("")
    for b in rm.blocks:
        if not b.repeated:
            continue
        B = b.name.upper()
        bw = _clog2(b.count)
        _, idx = instance_expr("d", b)
        w(f"  // Instance of block {b.name} that addr falls in (addr must be in the block).")
        w(f"  function automatic logic [{bw - 1}:0] {b.name}_index(input logic [31:0] addr);")
        w("    logic [31:0] d;")
        w("    logic [31:0] i;")
        w(f"    d = addr - {B}_BASE;")
        w(f"    i = {idx};")
        w(f"    {b.name}_index = i[{bw - 1}:0];")
        w("  endfunction")
        w("")
    for r in rm.regs():
        b = r.block
        fn = f"is_{r.name.lower()}"
        w(f"  function automatic logic {fn}(input logic [31:0] addr);")
        if not b.repeated:
            w(f"    {fn} = (addr == {r.name});")
        else:
            aligned, idx = instance_expr("d", b)
            w("    logic [31:0] d;")
            w(f"    d = addr - {r.name};")
            w(f"    {fn} = (addr >= {r.name}) && {aligned} && ({idx} < 32'd{b.count});")
        w("  endfunction")
        w("")

    def any_of(fn: str, regs: list[Reg], what: str) -> None:
        w(f"  // addr is {what}.")
        w(f"  function automatic logic {fn}(input logic [31:0] addr);")
        terms = [f"is_{r.name.lower()}(addr)" for r in regs]
        if not terms:
            w(f"    {fn} = 1'b0;")
        else:
            w(f"    {fn} = " + "\n        | ".join(terms) + ";")
        w("  endfunction")
        w("")

    regs = list(rm.regs())
    any_of("reg_mapped", regs, "an instance of any register of the map")
    any_of("reg_writable", [r for r in regs if r.access in ("rw", "wo1")], "a rw or wo1 register")
    any_of("reg_is_rw", rw_regs, "a rw register")
    any_of("reg_is_wo1", [r for r in regs if r.access == "wo1"], "a wo1 register")
    any_of("reg_is_core_counter", [r for r in regs if r.is_counter and not r.is_shell_counter],
           "a 64-bit counter word (LO or HI), read from the core")
    any_of("reg_is_shell_counter", [r for r in regs if r.is_shell_counter],
           "a 64-bit counter word (LO or HI) the shell keeps")

    w("  // Reset value of a read-only register that is not a counter (0 for anything else).")
    w("  function automatic logic [31:0] reg_ro_reset(input logic [31:0] addr);")
    w("    reg_ro_reset = 32'd0;")
    for r in regs:
        if r.access == "ro" and not (r.counter64 or r.counter64_hi) and r.reset:
            w(f"    if (is_{r.name.lower()}(addr)) reg_ro_reset = {r.name}_RESET;")
    w("  endfunction")
    w("")

    w("  // Dense index of a rw register instance (meaningless for other addresses).")
    w("  function automatic logic [RW_INDEX_W-1:0] reg_rw_index(input logic [31:0] addr);")
    w("    logic [31:0] i;")
    w("    i = 32'd0;")
    for r in rw_regs:
        b = r.block
        if b.repeated:
            _, idx = instance_expr(f"(addr - {r.name})", b)
            w(f"    if (is_{r.name.lower()}(addr)) i = 32'd{rw_base[r.name]} + {idx};")
        else:
            w(f"    if (is_{r.name.lower()}(addr)) i = 32'd{rw_base[r.name]};")
    w("    reg_rw_index = i[RW_INDEX_W-1:0];")
    w("  endfunction")
    w("")

    w("  // Byte address of the rw register instance with dense index idx.")
    w("  function automatic logic [31:0] rw_index_addr(input logic [RW_INDEX_W-1:0] idx);")
    w("    logic [31:0] i;")
    w("    i = {{(32 - RW_INDEX_W){1'b0}}, idx};")
    w("    rw_index_addr = 32'd0;")
    for r in rw_regs:
        b = r.block
        lo = rw_base[r.name]
        hi = lo + b.count
        if b.repeated:
            sh = _log2_exact(b.stride)
            off = f"((i - 32'd{lo}) << {sh})" if sh is not None else f"((i - 32'd{lo}) * 32'd{b.stride})"
            w(f"    if (i >= 32'd{lo} && i < 32'd{hi}) rw_index_addr = {r.name} + {off};")
        else:
            w(f"    if (i == 32'd{lo}) rw_index_addr = {r.name};")
    w("  endfunction")
    w("")

    w("  // Reset value of the rw register instance with dense index idx.")
    w("  function automatic logic [31:0] rw_index_reset(input logic [RW_INDEX_W-1:0] idx);")
    w("    logic [31:0] i;")
    w("    i = {{(32 - RW_INDEX_W){1'b0}}, idx};")
    w("    rw_index_reset = 32'd0;")
    for r in rw_regs:
        if r.reset:
            lo = rw_base[r.name]
            hi = lo + r.block.count
            w(f"    if (i >= 32'd{lo} && i < 32'd{hi}) rw_index_reset = {r.name}_RESET;")
    w("  endfunction")
    w("  /* verilator lint_on UNUSEDSIGNAL */")
    return o


def md_escape(s: str) -> str:
    return one_line(s).replace("|", "\\|").replace("*", "\\*")


def gen_md(rm: RegMap, source: str) -> str:
    o: list[str] = []
    w = o.append
    w(f"# Register map `{rm.name}` v{rm.version_major}.{rm.version_minor}")
    w("")
    w(f"<!-- Generated by gen_regmap.py from {source}: do not edit; edit the .toml instead. -->")
    w("")
    w(f"- ID: `{rm.id:#010x}` (register `ID` at offset 0; a driver refuses any other)")
    w(f"- Version: {rm.version_major}.{rm.version_minor} (major: incompatible changes, minor: additions)")
    w(f"- Aperture: `{rm.aperture:#x}` bytes, 32-bit registers, byte offsets")
    w("- Access: " + ", ".join(f"`{a}` {d}" for a, d in ACCESS_DOC.items()))
    w("- 64-bit counters are LO/HI pairs: reading LO latches HI, so read LO first. A block marked")
    w("  *shell counters* is kept by the RTL shell: its counters answer while the core is busy.")
    w("- A repeated block: instance *i* of a register is at offset + *i* × stride.")
    w("")
    w("## Parameters")
    w("")
    w("| name | value | note |")
    w("|---|---|---|")
    for p, v in rm.params.items():
        w(f"| `{p}` | {v} | |")
    for p, v in rm.derived.items():
        w(f"| `{p}` | {v} | derived |")
    w("")
    w("## Blocks")
    w("")
    w("| block | base | count | stride | end | description |")
    w("|---|---|---|---|---|---|")
    for b in rm.blocks:
        cnt = f"{b.count} (`{b.count_expr}`)" if b.repeated else "1"
        stride = f"`{b.stride:#x}`" if b.repeated else ""
        w(f"| [{b.name}](#{b.name}) | `{b.base:#06x}` | {cnt} | {stride} | `{b.end:#06x}` | "
          f"{md_escape(b.desc)} |")
    for b in rm.blocks:
        w("")
        w(f"## {b.name}")
        w("")
        w(md_escape(b.desc))
        w("")
        if b.counters == "shell":
            w("*Shell counters*: kept by the RTL shell, read without the core.")
            w("")
        if b.repeated:
            w(f"Base `{b.base:#06x}`, {b.count} instances (`{b.count_expr}`), stride `{b.stride:#x}`; "
              f"offsets below are of instance 0.")
        else:
            w(f"Base `{b.base:#06x}`.")
        w("")
        w("| offset | name | access | reset | description |")
        w("|---|---|---|---|---|")
        for r in b.regs:
            desc = md_escape(r.desc)
            if r.counter64:
                desc += f" 64-bit counter `{r.counter64}`, low word."
            w(f"| `{r.addr:#06x}` | `{r.name}` | {r.access} | `{r.reset:#010x}` | {desc} |")
        for r in b.regs:
            if not r.fields:
                continue
            w("")
            w(f"### {r.name} fields")
            w("")
            w("| bits | field | reset | description |")
            w("|---|---|---|---|")
            for f in sorted(r.fields, key=lambda f: -f.lsb):
                bits = f"{f.msb}:{f.lsb}" if f.width > 1 else f"{f.lsb}"
                fr = (r.reset & f.mask) >> f.lsb
                desc = md_escape(f.desc)
                if f.enum:
                    desc += " Values: " + ", ".join(f"{v} `{e}`" for e, v in f.enum.items()) + "."
                w(f"| {bits} | `{f.name}` | {fr:#x} | {desc} |")
    w("")
    return "\n".join(o)


def write_if_changed(path: str, text: str) -> None:
    # Unchanged outputs keep their timestamps, so an edit that only touches a description
    # rebuilds only what reads the docs (Ninja restats custom command outputs).
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", help="register map .toml")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--outdir", help="write broker_regmap.h, broker_regmap_pkg.sv and REGMAP.md here")
    g.add_argument("--check", action="store_true", help="validate only")
    args = ap.parse_args(argv)
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "gen_regmap.py"
    try:
        rm = load(args.source)
    except MapError as e:
        for line in str(e).splitlines():
            print(f"{prog}: error: {line}", file=sys.stderr)
        return 1
    if args.check:
        return 0
    source = os.path.basename(args.source)
    os.makedirs(args.outdir, exist_ok=True)
    write_if_changed(os.path.join(args.outdir, "broker_regmap.h"), gen_header(rm, source))
    write_if_changed(os.path.join(args.outdir, "broker_regmap_pkg.sv"), gen_sv(rm, source))
    write_if_changed(os.path.join(args.outdir, "REGMAP.md"), gen_md(rm, source))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
