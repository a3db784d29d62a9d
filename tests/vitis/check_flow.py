#!/usr/bin/python3
"""Self-check of the Vitis flow (hw/vitis) on a machine without Vitis/Vivado/XRT.

The flow itself (vitis_hls, vivado, v++, xbutil) cannot run on CI. This checks everything about
it that can be checked without those tools:

  sources     every file in hw/vitis/sources.txt exists; hw/hls/*.cpp, hw/hls/*.h and
              hw/rtl/*.sv are all listed (or deliberately excluded); no lint-only *_bb.sv
              file is in the build
  tcl         every Tcl script of the flow parses (tests/vitis/tcl_syntax.tcl, tclsh) and calls
              the tool commands its step needs
  graph       hw/graph/gen_core_graph.py makes the HLS top and kernel.xml from core_graph.toml
  kernel      broker_kernel.sv, the generated kernel.xml and package_kernel.tcl agree with each
              other and with the register map (aperture, port counts)
  connectivity  connectivity_<board>.cfg have the sections and keys v++ expects and name
              kernels, instances and stream interfaces that exist
  make        `make -n -C hw/vitis xclbin PLATFORM=...` expands for each known platform and runs
              the expected tools; missing arguments are refused with a message
  hls-c++14   the HLS sources and the generated top compile as C++14 (what synth_core.tcl gives
              vitis_hls), with the generated register map and CRC-32 matrix headers (g++, native shim)
  rtl-lint    broker_kernel.sv elaborates against broker_top with Verilator, the HLS core being
              the black box generated from core_graph.toml and the HLS encap kernel its black box
              hw/rtl/broker_encap_bb.sv (when Verilator is present and the hw/rtl files exist)

Usage: check_flow.py [--repo DIR] [--work DIR]     exit status 1 if any check fails.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

KNOWN_PLATFORMS = {
    "xilinx_u55c_gen3x16_xdma_3_202210_1": "u55c",
    "xilinx_u250_gen3x16_xdma_4_1_202210_1": "u250",
}
SLRS = {"u55c": 3, "u250": 4}
KERNEL = "broker_kernel"
# The XUP VNx cmac kernels (Ethernet/template.xml): M_AXIS = receive (out of the kernel),
# S_AXIS = transmit (into the kernel), both 512-bit.
CMAC_KERNELS = {"cmac_0", "cmac_1"}
CMAC_PORTS = {"M_AXIS": "out", "S_AXIS": "in"}
CFG_SECTIONS = {
    "connectivity": {"nk", "stream_connect", "sc", "slr", "sp", "connect"},
    "vivado": {"prop", "param", "impl.strategies", "synth.jobs", "impl.jobs"},
    "advanced": {"param", "prop", "misc"},
    "clock": {"freqHz", "freqhz", "id", "defaultFreqHz", "defaultID", "defaultTolerance", "tolerance"},
}
HLS_TCL_COMMANDS = ["open_project", "set_top", "add_files", "open_solution", "set_part",
                    "create_clock", "config_rtl", "csynth_design", "export_design", "exit"]
PACK_TCL_COMMANDS = ["create_project", "add_files", "ipx::package_project",
                     "ipx::associate_bus_interfaces", "ipx::save_core", "package_xo"]


class Checker:
    def __init__(self, repo: Path, work: Path):
        self.repo = repo
        self.work = work
        self.vitis = repo / "hw" / "vitis"
        self.graph_dir: Path | None = None  # what gen_core_graph.py wrote (generate_graph)
        self.failures = 0
        self.warnings = 0

    # ---- reporting ---------------------------------------------------------------------------
    def ok(self, area: str, msg: str) -> None:
        print(f"PASS [{area}] {msg}")

    def fail(self, area: str, msg: str) -> None:
        self.failures += 1
        print(f"FAIL [{area}] {msg}")

    def skip(self, area: str, msg: str) -> None:
        print(f"SKIP [{area}] {msg}")

    def warn(self, area: str, msg: str) -> None:
        self.warnings += 1
        print(f"WARN [{area}] {msg}")

    def expect(self, cond: bool, area: str, msg: str) -> bool:
        (self.ok if cond else self.fail)(area, msg)
        return cond

    # ---- shared readers ----------------------------------------------------------------------
    def sources(self) -> dict[str, list[str]]:
        sections: dict[str, list[str]] = {}
        current = None
        for raw in (self.vitis / "sources.txt").read_text().splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.fullmatch(r"\[([a-z_]+)\]", line)
            if m:
                current = m.group(1)
                sections.setdefault(current, [])
                continue
            if current is None:
                raise ValueError(f"sources.txt: '{line}' is outside any [section]")
            sections[current].append(line)
        return sections

    def regmap(self) -> dict:
        return tomllib.loads((self.repo / "hw" / "regmap" / "broker.regmap.toml").read_text())

    def kernel_ports(self) -> dict[str, tuple[str, int]]:
        """Ports of broker_kernel.sv: name -> (direction, width)."""
        text = (self.vitis / "rtl" / "broker_kernel.sv").read_text()
        text = re.sub(r"//[^\n]*", "", text)
        text = re.sub(r"\(\*.*?\*\)", "", text, flags=re.S)
        m = re.search(r"module\s+broker_kernel\b[^(]*\((.*?)\);", text, re.S)
        if not m:
            raise ValueError("broker_kernel.sv: no 'module broker_kernel (...);' header found")
        ports = {}
        for decl in m.group(1).split(","):
            d = re.match(r"\s*(input|output)\s+(?:wire|logic|reg)?\s*(?:\[(\d+):(\d+)\])?\s*(\w+)\s*$", decl)
            if not d:
                raise ValueError(f"broker_kernel.sv: cannot read port declaration '{decl.strip()}'")
            width = int(d.group(2)) - int(d.group(3)) + 1 if d.group(2) else 1
            ports[d.group(4)] = ("in" if d.group(1) == "input" else "out", width)
        return ports

    def kernel_streams(self) -> dict[str, tuple[str, int]]:
        """AXI4-Stream interfaces of broker_kernel: name -> (direction of data, TDATA width)."""
        ports = self.kernel_ports()
        streams = {}
        for name, (direction, width) in ports.items():
            if name.endswith("_tdata"):
                streams[name[: -len("_tdata")]] = (direction, width)
        return streams

    # ---- sources -----------------------------------------------------------------------------
    def check_sources(self) -> None:
        area = "sources"
        try:
            sec = self.sources()
        except (OSError, ValueError) as e:
            self.fail(area, f"hw/vitis/sources.txt unreadable: {e}")
            return
        for required in ("hls", "hls_include", "hls_encap", "rtl"):
            if not sec.get(required):
                self.fail(area, f"sources.txt has no [{required}] files")
        missing = []
        for section, files in sec.items():
            if section == "rtl_excluded":
                continue
            for rel in files:
                if not (self.repo / rel).is_file():
                    missing.append((section, rel))
        if missing:
            for section, rel in missing:
                hint = (" (the RTL shell in hw/rtl is written separately; the fabric build "
                        "cannot run until it exists)") if rel.startswith("hw/rtl/") else ""
                self.fail(area, f"{rel} is listed under [{section}] in hw/vitis/sources.txt "
                                f"but does not exist{hint}")
        else:
            n = sum(len(v) for k, v in sec.items() if k != "rtl_excluded")
            self.ok(area, f"all {n} files listed in hw/vitis/sources.txt exist")

        bb = [f for f in sec.get("rtl", []) if f.endswith("_bb.sv") or f.endswith("_bb.v")]
        self.expect(not bb, area, "no lint-only *_bb.sv black box is in the fabric build"
                    + (f" (listed: {', '.join(bb)})" if bb else ""))

        listed_hls = set(sec.get("hls", []))
        cpp = {str(p.relative_to(self.repo)) for p in (self.repo / "hw" / "hls").glob("*.cpp")}
        self.expect(cpp == listed_hls, area,
                    "[hls] lists exactly hw/hls/*.cpp" + (
                        f" (not listed: {sorted(cpp - listed_hls)}; listed but absent: "
                        f"{sorted(listed_hls - cpp)})" if cpp != listed_hls else ""))
        encap = set(sec.get("hls_encap", []))
        self.expect(bool(encap) and encap <= listed_hls and "hw/hls/encap_top.cpp" in encap, area,
                    "[hls_encap] (the broker_encap top's files, encap_top.cpp among them) are [hls] files")
        listed_inc = set(sec.get("hls_include", []))
        hdr = {str(p.relative_to(self.repo)) for p in (self.repo / "hw" / "hls").glob("*.h")}
        self.expect(hdr <= listed_inc, area,
                    "[hls_include] lists every hw/hls/*.h" + (
                        f" (not listed: {sorted(hdr - listed_inc)})" if not hdr <= listed_inc else ""))
        shim = [f for f in listed_hls | listed_inc if "hls_shim" in f]
        self.expect(not shim, area, "the native hls_shim is not part of the HLS build")

        listed_rtl = set(sec.get("rtl", [])) | set(sec.get("rtl_excluded", []))
        rtl_dir = self.repo / "hw" / "rtl"
        present = {str(p.relative_to(self.repo)) for p in rtl_dir.glob("*.sv")} | \
                  {str(p.relative_to(self.repo)) for p in rtl_dir.glob("*.v")}
        unlisted = sorted(f for f in present - listed_rtl
                          if not (f.endswith("_bb.sv") or f.endswith("_bb.v")))
        self.expect(not unlisted, area,
                    "every hw/rtl source (other than *_bb.sv) is in [rtl] or [rtl_excluded]" + (
                        f" (not listed: {', '.join(unlisted)}: add them to hw/vitis/sources.txt)"
                        if unlisted else ""))

    # ---- Tcl ---------------------------------------------------------------------------------
    def check_tcl(self) -> None:
        area = "tcl"
        tclsh = shutil.which("tclsh")
        if not tclsh:
            self.fail(area, "tclsh not found (install the tcl package): cannot check the Tcl scripts")
            return
        files = sorted(p for p in self.vitis.rglob("*.tcl")
                       if not any(part in ("build", "ext") for part in p.relative_to(self.vitis).parts))
        if not files:
            self.fail(area, "no Tcl scripts found under hw/vitis")
            return
        checker = Path(__file__).with_name("tcl_syntax.tcl")
        res = subprocess.run([tclsh, str(checker), *map(str, files)], capture_output=True,
                             text=True, timeout=120)
        commands: dict[str, set[str]] = {}
        for line in res.stdout.splitlines():
            if line.startswith("CMD "):
                _, f, _, name = line.split(" ", 3)
                commands.setdefault(Path(f).name, set()).add(name)
            else:
                self.fail(area, line)
        rels = ", ".join(str(f.relative_to(self.repo)) for f in files)
        if res.returncode == 0:
            self.ok(area, f"{len(files)} Tcl scripts parse: {rels}")
        elif not any(not ln.startswith("CMD ") for ln in res.stdout.splitlines()):
            self.fail(area, f"tcl_syntax.tcl failed: {res.stderr.strip()}")
        for script, needed in (("synth_core.tcl", HLS_TCL_COMMANDS),
                               ("package_kernel.tcl", PACK_TCL_COMMANDS)):
            have = commands.get(script, set())
            absent = [c for c in needed if c not in have]
            self.expect(not absent, area, f"{script} calls {', '.join(needed)}"
                        + (f" (missing: {', '.join(absent)})" if absent else ""))
        # export_design must produce the Vivado IP the packaging step reads.
        synth = (self.vitis / "hls" / "synth_core.tcl").read_text()
        self.expect(re.search(r"^\s*export_design\b.*-format\s+ip_catalog", synth, re.M) is not None,
                    area, "synth_core.tcl exports the core with export_design -format ip_catalog")
        self.expect(re.search(r"^\s*set_top\s+\$top", synth, re.M) is not None
                    and "broker_core_top" in synth, area, "synth_core.tcl's top is broker_core_top")
        self.expect("BROKER_GRAPH_DIR" in synth and
                    re.search(r"^\s*add_files\b.*core_top\.cpp", synth, re.M) is not None, area,
                    "synth_core.tcl adds the generated top core_top.cpp (BROKER_GRAPH_DIR)")
        # The second HLS top: the tunnel origination kernel, from the [hls_encap] files.
        self.expect('"broker_encap"' in synth and "hls_encap" in synth, area,
                    "synth_core.tcl synthesizes the second top broker_encap from sources.txt [hls_encap]")
        pack = (self.vitis / "rtl" / "package_kernel.tcl").read_text()
        self.expect("hls_encap_prj" in pack and "broker_encap" in pack, area,
                    "package_kernel.tcl adds broker_encap's Verilog to the kernel")

    # ---- kernel ------------------------------------------------------------------------------
    def check_kernel(self) -> None:
        area = "kernel"
        try:
            ports = self.kernel_ports()
        except (OSError, ValueError) as e:
            self.fail(area, str(e))
            return
        rm = self.regmap()
        aperture = int(rm["regmap"]["aperture"])
        params = rm["params"]
        streams = self.kernel_streams()

        self.expect(ports.get("ap_clk") == ("in", 1) and ports.get("ap_rst_n") == ("in", 1), area,
                    "broker_kernel has inputs ap_clk and ap_rst_n")
        axil = {"awaddr": "in", "awvalid": "in", "awready": "out", "wdata": "in", "wstrb": "in",
                "wvalid": "in", "wready": "out", "bresp": "out", "bvalid": "out", "bready": "in",
                "araddr": "in", "arvalid": "in", "arready": "out", "rdata": "out", "rresp": "out",
                "rvalid": "out", "rready": "in"}
        bad = [s for s, d in axil.items() if ports.get(f"s_axi_control_{s}", ("", 0))[0] != d]
        self.expect(not bad, area, "s_axi_control is a complete AXI4-Lite slave"
                    + (f" (wrong or missing: {', '.join(bad)})" if bad else ""))
        aw = ports.get("s_axi_control_awaddr", ("", 0))[1]
        ar = ports.get("s_axi_control_araddr", ("", 0))[1]
        self.expect(aw == ar and (1 << aw) == aperture, area,
                    f"s_axi_control address width ({aw} bits) spans the register map aperture "
                    f"(0x{aperture:x})")
        expected_streams = {"rx0": ("in", 512), "rx1": ("in", 512),
                            "tx0": ("out", 512), "tx1": ("out", 512)}
        self.expect(streams == expected_streams, area,
                    "broker_kernel streams are rx0, rx1 (in) and tx0, tx1 (out), 512 bits"
                    + (f" (found {streams})" if streams != expected_streams else ""))
        for s, (direction, _) in streams.items():
            sigs = {"tdata": direction, "tkeep": direction, "tlast": direction,
                    "tvalid": direction, "tready": "out" if direction == "in" else "in"}
            wrong = [k for k, d in sigs.items() if ports.get(f"{s}_{k}", ("", 0))[0] != d]
            keep = ports.get(f"{s}_tkeep", ("", 0))[1]
            if wrong or keep != 64:
                self.fail(area, f"stream {s}: signals wrong or missing: {wrong or ['tkeep width']}")

        sv = (self.vitis / "rtl" / "broker_kernel.sv").read_text()
        for name, key in (("NUM_IN", "in_ports"), ("NUM_OUT", "out_ports")):
            m = re.search(rf"localparam\s+int\s+unsigned\s+{name}\s*=\s*(\d+)", sv)
            self.expect(m is not None and int(m.group(1)) == int(params[key]), area,
                        f"broker_kernel {name} = register map {key} ({params[key]})")
        self.expect(re.search(r"\bbroker_top\s*#\s*\(", sv) is not None, area,
                    "broker_kernel instantiates broker_top")
        self.expect("broker_kernel_cfg_pkg::KERNEL_CLK_HZ" in sv and ".CLK_HZ" in sv, area,
                    "broker_top's CLK_HZ comes from the generated kernel clock package")

        # kernel.xml, as the flow generates it
        if self.graph_dir is None:
            self.skip(area, "kernel.xml not generated (see [graph])")
            return
        try:
            root = ET.parse(self.graph_dir / "vitis" / "kernel.xml").getroot()
        except (OSError, ET.ParseError) as e:
            self.fail(area, f"generated kernel.xml: {e}")
            return
        k = root.find("kernel")
        if k is None:
            self.fail(area, "kernel.xml has no <kernel>")
            return
        self.expect(k.get("name") == KERNEL, area, f"kernel.xml names the kernel {KERNEL}")
        self.expect(k.get("hwControlProtocol") == "user_managed", area,
                    "kernel.xml: hwControlProtocol is user_managed (xrt::ip register access)")
        pack = (self.vitis / "rtl" / "package_kernel.tcl").read_text()
        vendor = re.search(r"ipx::package_project\b.*?-vendor\s+(\S+)", pack, re.S)
        library = re.search(r"ipx::package_project\b.*?-library\s+(\S+)", pack, re.S)
        version = re.search(r"set_property\s+version\s+(\S+)", pack)
        kname = re.search(r"set\s+kernel_name\s+(\S+)", pack)
        vlnv = (f"{vendor.group(1)}:{library.group(1)}:{kname.group(1)}:{version.group(1)}"
                if vendor and library and version and kname else None)
        self.expect(vlnv is not None and k.get("vlnv") == vlnv, area,
                    f"kernel.xml vlnv {k.get('vlnv')} = the IP package_kernel.tcl makes ({vlnv})")
        self.expect(kname is not None and kname.group(1) == KERNEL and
                    re.search(r"package_xo\b.*-kernel_xml", pack, re.S) is not None, area,
                    "package_kernel.tcl packages broker_kernel with kernel.xml")
        xml_ports = {p.get("name"): p for p in k.iter("port")}
        ctrl = xml_ports.get("s_axi_control")
        self.expect(ctrl is not None and ctrl.get("portType") == "addressable"
                    and ctrl.get("mode") == "slave" and int(ctrl.get("range", "0"), 0) == aperture,
                    area, f"kernel.xml: s_axi_control is an addressable slave of range 0x{aperture:x}")
        xml_streams = {n: (p.get("mode"), int(p.get("dataWidth", "0"))) for n, p in xml_ports.items()
                       if p.get("portType") == "stream"}
        want = {s: ("read_only" if d == "in" else "write_only", w) for s, (d, w) in streams.items()}
        self.expect(xml_streams == want, area,
                    "kernel.xml stream ports match broker_kernel.sv (read_only = into the kernel)"
                    + (f" (xml {xml_streams}, sv {want})" if xml_streams != want else ""))
        arg_ports = {a.get("port") for a in k.iter("arg")}
        ids = [a.get("id") for a in k.iter("arg")]
        self.expect(arg_ports <= set(xml_ports) and len(ids) == len(set(ids)), area,
                    "kernel.xml args name existing ports and have distinct ids")
        regs = {}
        for block in rm.get("block", []):
            for reg in block.get("reg", []):
                regs[reg["name"].lower()] = int(block["base"]) + int(reg["offset"])
        bad_args = [a.get("name") for a in k.iter("arg") if a.get("port") == "s_axi_control"
                    and regs.get(a.get("name")) != int(a.get("offset"), 0)]
        self.expect(not bad_args, area, "kernel.xml register args sit at their register map offsets"
                    + (f" (wrong: {bad_args})" if bad_args else ""))

    # ---- connectivity ------------------------------------------------------------------------
    def parse_cfg(self, path: Path, area: str) -> dict[str, list[tuple[int, str, str]]] | None:
        sections: dict[str, list[tuple[int, str, str]]] = {}
        current = None
        good = True
        for no, raw in enumerate(path.read_text().splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = re.fullmatch(r"\[([A-Za-z_]+)\]", line)
            if m:
                current = m.group(1)
                if current not in CFG_SECTIONS:
                    self.fail(area, f"{path.name}:{no}: unknown section [{current}]")
                    good = False
                sections.setdefault(current, [])
                continue
            if "=" not in line:
                self.fail(area, f"{path.name}:{no}: '{line}' is not key=value")
                good = False
                continue
            key, value = (s.strip() for s in line.split("=", 1))
            if current is None:
                self.fail(area, f"{path.name}:{no}: '{key}' is outside any section")
                good = False
                continue
            if current in CFG_SECTIONS and key not in CFG_SECTIONS[current]:
                self.fail(area, f"{path.name}:{no}: '{key}' is not a v++ [{current}] key")
                good = False
                continue
            if not value or " " in value:
                self.fail(area, f"{path.name}:{no}: '{key}' has an empty or spaced value '{value}'")
                good = False
                continue
            sections[current].append((no, key, value))
        return sections if good else None

    def check_connectivity(self) -> None:
        try:
            streams = self.kernel_streams()
        except (OSError, ValueError) as e:
            self.fail("connectivity", f"cannot read broker_kernel.sv: {e}")
            return
        sw_kernel = self.sw_default_kernel()
        for board in sorted(set(KNOWN_PLATFORMS.values())):
            area = f"connectivity:{board}"
            path = self.vitis / f"connectivity_{board}.cfg"
            if not path.is_file():
                self.fail(area, f"hw/vitis/{path.name} does not exist")
                continue
            sec = self.parse_cfg(path, area)
            if sec is None:
                continue
            conn = sec.get("connectivity")
            if not conn:
                self.fail(area, f"{path.name} has no [connectivity] entries")
                continue
            self.ok(area, f"{path.name}: sections {', '.join(sorted(sec))} with v++ keys only")

            instances: dict[str, str] = {}  # instance -> kernel
            problems = []
            for no, key, value in conn:
                if key != "nk":
                    continue
                m = re.fullmatch(r"(\w+):(\d+)(?::([\w.]+))?", value)
                if not m:
                    problems.append(f"line {no}: nk={value} is not <kernel>:<count>[:<name>.<name>...]")
                    continue
                names = m.group(3).split(".") if m.group(3) else [f"{m.group(1)}_{i + 1}" for i in range(int(m.group(2)))]
                if len(names) != int(m.group(2)):
                    problems.append(f"line {no}: nk={value}: count {m.group(2)} but {len(names)} names")
                for n in names:
                    if n in instances:
                        problems.append(f"line {no}: instance {n} declared twice")
                    instances[n] = m.group(1)
            kernels = set(instances.values())
            if kernels != {KERNEL} | CMAC_KERNELS:
                problems.append(f"nk declares kernels {sorted(kernels)}, expected {KERNEL}, cmac_0, cmac_1")
            broker_cus = [i for i, kk in instances.items() if kk == KERNEL]
            if len(broker_cus) != 1:
                problems.append(f"expected one {KERNEL} instance, found {broker_cus}")

            connected: dict[str, int] = {}
            for no, key, value in conn:
                if key not in ("stream_connect", "sc"):
                    continue
                m = re.fullmatch(r"(\w+)\.(\w+):(\w+)\.(\w+)(?::(\d+))?", value)
                if not m:
                    problems.append(f"line {no}: stream_connect={value} is not <cu>.<port>:<cu>.<port>[:depth]")
                    continue
                src_cu, src_port, dst_cu, dst_port = m.group(1, 2, 3, 4)
                for cu, port, role in ((src_cu, src_port, "out"), (dst_cu, dst_port, "in")):
                    kernel = instances.get(cu)
                    if kernel is None:
                        problems.append(f"line {no}: {cu} is not declared by an nk= line")
                    elif kernel == KERNEL:
                        if port not in streams:
                            problems.append(f"line {no}: {cu}.{port}: broker_kernel.sv has no stream {port}")
                        elif streams[port][0] != role:
                            problems.append(f"line {no}: {cu}.{port} is an {streams[port][0]}put stream, used as {role}put")
                        connected[port] = connected.get(port, 0) + 1
                    elif kernel in CMAC_KERNELS:
                        if CMAC_PORTS.get(port) != role:
                            problems.append(f"line {no}: {cu}.{port}: the VNx cmac kernel's {role}put stream is "
                                            f"{[p for p, r in CMAC_PORTS.items() if r == role][0]}")
                # QSFP n pairs with broker port n (rx0/tx0 <-> cmac_0)
                cmac = src_cu if instances.get(src_cu) in CMAC_KERNELS else dst_cu
                bport = dst_port if cmac == src_cu else src_port
                if instances.get(cmac) in CMAC_KERNELS and bport[-1:] != instances[cmac][-1:]:
                    problems.append(f"line {no}: {bport} is wired to {cmac}; port n belongs to cmac_n")
            for s in streams:
                if connected.get(s, 0) != 1:
                    problems.append(f"broker stream {s} is connected {connected.get(s, 0)} times (must be 1)")

            slrs: dict[str, str] = {}
            for no, key, value in conn:
                if key == "slr":
                    m = re.fullmatch(r"(\w+):SLR(\d)", value)
                    if not m or m.group(1) not in instances:
                        problems.append(f"line {no}: slr={value}: not <declared instance>:SLR<n>")
                    elif int(m.group(2)) >= SLRS[board]:
                        problems.append(f"line {no}: slr={value}: the {board} has SLR0..SLR{SLRS[board] - 1}")
                    else:
                        slrs[m.group(1)] = m.group(2)
                elif key == "sp":
                    m = re.fullmatch(r"(\w+)\.(\w+):(\S+)", value)
                    if not m or m.group(1) not in instances:
                        problems.append(f"line {no}: sp={value}: not <declared instance>.<port>:<memory>")
                    elif instances[m.group(1)] == KERNEL:
                        problems.append(f"line {no}: sp={value}: broker_kernel has no AXI4 master port")
            if set(slrs) != set(instances):
                problems.append(f"slr= missing for {sorted(set(instances) - set(slrs))}")
            elif len(set(slrs.values())) != 1:
                problems.append(f"broker and cmac kernels are in different SLRs {slrs}: the 512-bit streams would cross SLRs")
            if problems:
                for p in problems:
                    self.fail(area, f"{path.name}: {p}")
            else:
                self.ok(area, f"{path.name}: nk/stream_connect/slr name existing kernels, instances and "
                              f"streams; rx0/rx1/tx0/tx1 each wired once to cmac_0/cmac_1; all in "
                              f"SLR{next(iter(slrs.values()))}")
            if sw_kernel and broker_cus:
                want = f"{KERNEL}:{{{broker_cus[0]}}}"
                if sw_kernel != want:
                    self.warn(area, f"brokerd's default XRT kernel instance is '{sw_kernel}' "
                                    f"(sw/cards/xrt/xrt_bus.h kDefaultKernel) but this xclbin's is "
                                    f"'{want}': start brokerd with --kernel '{want}' or change the default")

    def sw_default_kernel(self) -> str | None:
        header = self.repo / "sw" / "cards" / "xrt" / "xrt_bus.h"
        if not header.is_file():
            return None
        m = re.search(r'kDefaultKernel\s*=\s*"([^"]+)"', header.read_text())
        return m.group(1) if m else None

    # ---- make -n -----------------------------------------------------------------------------
    def make(self, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PLATFORM",
                            "DEVICE", "BOARD", "XUP_DIR", "CMAC_XO_0", "CMAC_XO_1", "BUILD")}
        return subprocess.run(["make", "--no-print-directory", "-n", "-C", str(self.vitis), *args],
                              capture_output=True, text=True, env=env, timeout=120)

    def check_make(self) -> None:
        area = "make"
        if not shutil.which("make"):
            self.fail(area, "make not found")
            return
        for platform, board in KNOWN_PLATFORMS.items():
            res = self.make("xclbin", f"PLATFORM={platform}")
            if res.returncode != 0:
                self.fail(area, f"make -n -C hw/vitis xclbin PLATFORM={platform} fails: "
                                f"{(res.stderr or res.stdout).strip()}")
                continue
            out = res.stdout
            cfg = str(self.vitis / f"connectivity_{board}.cfg")
            wanted = {
                "generates the register map": "gen_regmap.py",
                "generates the CRC-32 matrix": "gen_crc32_matrix.py",
                "generates the HLS top and kernel.xml": "gen_core_graph.py",
                "packages the generated kernel.xml": "graph/vitis/kernel.xml",
                "runs vitis_hls -f hls/synth_core.tcl": f"-f {self.vitis}/hls/synth_core.tcl",
                "synthesizes the second HLS top broker_encap": "BROKER_HLS_TOP=broker_encap",
                "passes the FPGA part": "BROKER_PART=xc",
                "runs vivado with rtl/package_kernel.tcl": f"-source {self.vitis}/rtl/package_kernel.tcl",
                "links with v++ -l -t hw --platform": f"-l -t hw --platform {platform}",
                f"uses connectivity_{board}.cfg": f"--config {cfg}",
                "links broker_kernel.xo with cmac_0.xo and cmac_1.xo": "broker_kernel.xo",
            }
            missing = [what for what, s in wanted.items() if s not in out]
            if not any("cmac_0.xo" in ln and "cmac_1.xo" in ln for ln in out.splitlines()):
                missing.append("links cmac_0.xo and cmac_1.xo")
            self.expect(not missing, area,
                        f"make -n xclbin PLATFORM={platform} expands: "
                        + ("regmap -> vitis_hls -> vivado package_xo -> v++ -l with "
                           f"connectivity_{board}.cfg" if not missing else f"missing: {missing}"))
        res = self.make("xclbin")
        self.expect(res.returncode != 0 and "PLATFORM is required" in res.stderr, area,
                    "make xclbin without PLATFORM is refused with a message naming the known platforms")
        res = self.make("xclbin", "PLATFORM=xilinx_u280_gen3x16_xdma_1_202211_1")
        self.expect(res.returncode != 0 and "connectivity" in res.stderr, area,
                    "a platform without a connectivity file is refused with a message")
        res = self.make("program", "DEVICE=0000:3b:00.1")
        self.expect(res.returncode == 0 and
                    "program --device 0000:3b:00.1 --user" in res.stdout and "broker.xclbin" in res.stdout,
                    area, "make -n program DEVICE=... runs xbutil program --device BDF --user build/broker.xclbin")
        res = self.make("program")
        self.expect(res.returncode != 0 and "DEVICE is required" in res.stderr, area,
                    "make program without DEVICE is refused with a message")

    # ---- HLS sources as C++14 ----------------------------------------------------------------
    def generate_regmap(self) -> Path | None:
        out = self.work / "regmap"
        res = subprocess.run([sys.executable, str(self.repo / "hw" / "regmap" / "gen_regmap.py"),
                              str(self.repo / "hw" / "regmap" / "broker.regmap.toml"),
                              "--outdir", str(out)], capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            self.fail("regmap", f"gen_regmap.py failed: {res.stderr.strip()}")
            return None
        return out

    def generate_crc32(self) -> Path | None:
        out = self.work / "crc32"
        res = subprocess.run([sys.executable, str(self.repo / "hw" / "hls" / "gen_crc32_matrix.py"),
                              "--out", str(out / "crc32_matrix.h")],
                             capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            self.fail("crc32", f"gen_crc32_matrix.py failed: {res.stderr.strip()}")
            return None
        return out

    def generate_graph(self) -> None:
        """The HLS top, the black box and kernel.xml, as the Makefile and CMake generate them."""
        out = self.work / "graph"
        res = subprocess.run([sys.executable, str(self.repo / "hw" / "graph" / "gen_core_graph.py"),
                              str(self.repo / "hw" / "graph" / "core_graph.toml"), "--outdir", str(out),
                              "--targets", "top,rtl,vitis"], capture_output=True, text=True, timeout=120)
        if self.expect(res.returncode == 0, "graph", "gen_core_graph.py makes the HLS top, the core's "
                       "black box and kernel.xml from hw/graph/core_graph.toml"
                       + (f": {res.stderr.strip()}" if res.returncode else "")):
            self.graph_dir = out

    def check_hls_cxx(self, regmap_dir: Path | None, crc_dir: Path | None) -> None:
        area = "hls-c++14"
        cxx = shutil.which("g++") or shutil.which("clang++")
        if not cxx:
            self.skip(area, "no C++ compiler")
            return
        if regmap_dir is None or crc_dir is None or self.graph_dir is None:
            self.skip(area, "no generated register map, CRC-32 matrix header or HLS top")
            return
        synth = (self.vitis / "hls" / "synth_core.tcl").read_text()
        std = re.search(r"-std=(c\+\+\d+)", synth)
        std = std.group(1) if std else "c++14"
        bad = []
        top = self.graph_dir / "hls" / "core_top.cpp"
        for rel in self.sources().get("hls", []) + [str(top)]:
            # Vitis brings its own ap_int.h/hls_stream.h/ap_axi_sdata.h; here the shim, a strict
            # subset of AMD's headers, stands in for them.
            res = subprocess.run([cxx, f"-std={std}", "-fsyntax-only", "-w",
                                  "-I", str(self.repo / "hw" / "hls"),
                                  "-I", str(self.repo / "hw" / "hls" / "hls_shim"), "-I", str(regmap_dir),
                                  "-I", str(crc_dir), "-I", str(self.graph_dir / "hls"),
                                  str(self.repo / rel)], capture_output=True, text=True, timeout=300)
            if res.returncode != 0:
                bad.append(rel if rel != str(top) else "the generated core_top.cpp")
                print(res.stderr)
        self.expect(not bad, area, f"the [hls] sources and the generated top compile as -std={std} "
                                   "with the generated broker_regmap.h and crc32_matrix.h"
                                   + (f" (failed: {bad})" if bad else ""))

    # ---- RTL lint of the wrapper -------------------------------------------------------------
    def check_rtl_lint(self, regmap_dir: Path | None) -> None:
        area = "rtl-lint"
        verilator = shutil.which("verilator")
        if not verilator:
            self.skip(area, "verilator not installed")
            return
        rtl = [self.repo / f for f in self.sources().get("rtl", [])]
        absent = [str(p.relative_to(self.repo)) for p in rtl if not p.is_file()]
        if absent:
            self.skip(area, f"cannot elaborate broker_kernel until these exist: {', '.join(absent)}")
            return
        if regmap_dir is None:
            self.skip(area, "no generated register map package")
            return
        cfg = self.work / "broker_kernel_cfg_pkg.sv"
        cfg.write_text("package broker_kernel_cfg_pkg;\n"
                       "  localparam int unsigned KERNEL_CLK_HZ = 300000000;\nendpackage\n")
        # The HLS core is Vitis output; for lint, the black box generated from its description.
        if self.graph_dir is None:
            self.skip(area, "no generated black box of the HLS core")
            return
        core = self.graph_dir / "rtl" / "broker_core_top_bb.sv"
        # The other HLS kernels of the shell (broker_encap) have hand-written black boxes in hw/rtl.
        bbs = sorted((self.repo / "hw" / "rtl").glob("*_bb.sv"))
        files = [regmap_dir / "broker_regmap_pkg.sv", cfg, *rtl, core, *bbs]
        res = subprocess.run([verilator, "--lint-only", "-Wall", "--top-module", KERNEL,
                              *map(str, files)], capture_output=True, text=True, timeout=300)
        lines = (res.stdout + res.stderr).splitlines()
        problems = [ln for ln in lines if ln.startswith("%Error") or ln.startswith("%Warning")]
        for ln in problems:
            print("    " + ln)
        self.expect(res.returncode == 0 and not problems, area,
                    f"broker_kernel.sv elaborates against broker_top (core: {core.name}; "
                    f"{', '.join(p.name for p in bbs) or 'no other black box'}) with "
                    "Verilator -Wall: no error, no warning")

    def run(self) -> int:
        print(f"Vitis flow self-check of {self.vitis} (Vitis/Vivado/XRT are not needed and not run)")
        self.check_sources()
        self.check_tcl()
        self.generate_graph()
        self.check_kernel()
        self.check_connectivity()
        self.check_make()
        regmap_dir = self.generate_regmap()
        self.check_hls_cxx(regmap_dir, self.generate_crc32())
        self.check_rtl_lint(regmap_dir)
        print(f"{'FAILED' if self.failures else 'OK'}: {self.failures} failure(s), "
              f"{self.warnings} warning(s)")
        return 1 if self.failures else 0


def main() -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", type=Path, default=here.parent.parent, help="repository root")
    ap.add_argument("--work", type=Path, default=None, help="scratch directory (default: a temporary one)")
    args = ap.parse_args()
    repo = args.repo.resolve()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        return Checker(repo, args.work.resolve()).run()
    with tempfile.TemporaryDirectory(prefix="vitis_flow_check_") as tmp:
        return Checker(repo, Path(tmp)).run()


if __name__ == "__main__":
    sys.exit(main())
