// Black box of the HLS kernel `broker_encap` (hw/hls/encap_top.cpp: tunnel origination, one
// instance per wired tool port of broker_top), with the port names Vitis HLS gives that top:
// axis `in` (ap_axiu<512,17,0,0>: TUSER = the frame's length in bytes) and `out`
// (ap_axiu<512,0,0,0>: no TUSER), ap_none scalars, the enc_hdr array partitioned complete (one
// port per element, enc_hdr_0 .. enc_hdr_18), ap_ctrl_none (no block-level handshake).
// Used ONLY for the Verilator lint (tests/rtl, tests/vitis) and the yosys resource report of the
// shell: outputs are tied off. The co-simulation (sim/rtl/broker_encap.sv) runs encap_task
// through DPI-C under the same module name; the fabric build uses the RTL Vitis HLS generates
// (hw/vitis: `make hls` synthesizes both HLS tops). Files named *_bb.sv are never built into
// the fabric or the co-simulation.
// The module must carry the kernel's name, hence the one waiver.
/* verilator lint_off DECLFILENAME */
(* blackbox *)
module broker_encap (
  input  logic         ap_clk,
  input  logic         ap_rst_n,
  // in: the tool port's joined queues; TUSER = the frame's length in bytes, with every beat
  input  logic [511:0] in_TDATA,
  input  logic [63:0]  in_TKEEP,
  input  logic [63:0]  in_TSTRB,
  input  logic [16:0]  in_TUSER,
  input  logic         in_TLAST,
  input  logic         in_TVALID,
  output logic         in_TREADY,
  // out: to the tool port's wire
  output logic [511:0] out_TDATA,
  output logic [63:0]  out_TKEEP,
  output logic [63:0]  out_TSTRB,
  output logic         out_TLAST,
  output logic         out_TVALID,
  input  logic         out_TREADY,
  // the port's active ENC_* registers (broker_csr), plain wires
  input  logic [31:0]  enc_ctrl,
  input  logic [31:0]  enc_slice,
  input  logic [31:0]  enc_csum,
  input  logic [31:0]  enc_hdr_0,
  input  logic [31:0]  enc_hdr_1,
  input  logic [31:0]  enc_hdr_2,
  input  logic [31:0]  enc_hdr_3,
  input  logic [31:0]  enc_hdr_4,
  input  logic [31:0]  enc_hdr_5,
  input  logic [31:0]  enc_hdr_6,
  input  logic [31:0]  enc_hdr_7,
  input  logic [31:0]  enc_hdr_8,
  input  logic [31:0]  enc_hdr_9,
  input  logic [31:0]  enc_hdr_10,
  input  logic [31:0]  enc_hdr_11,
  input  logic [31:0]  enc_hdr_12,
  input  logic [31:0]  enc_hdr_13,
  input  logic [31:0]  enc_hdr_14,
  input  logic [31:0]  enc_hdr_15,
  input  logic [31:0]  enc_hdr_16,
  input  logic [31:0]  enc_hdr_17,
  input  logic [31:0]  enc_hdr_18,
  // microsecond time base (ERSPAN III's timestamp)
  input  logic [63:0]  now_us,
  // no frame inside the kernel (OUT_STATUS.EMPTY)
  output logic         idle
);
  // A stub: every input is deliberately unused.
  logic unused_inputs;
  assign unused_inputs = ^{ap_clk, ap_rst_n, in_TDATA, in_TKEEP, in_TSTRB, in_TUSER, in_TLAST,
                           in_TVALID, out_TREADY, enc_ctrl, enc_slice, enc_csum, enc_hdr_0,
                           enc_hdr_1, enc_hdr_2, enc_hdr_3, enc_hdr_4, enc_hdr_5, enc_hdr_6,
                           enc_hdr_7, enc_hdr_8, enc_hdr_9, enc_hdr_10, enc_hdr_11, enc_hdr_12,
                           enc_hdr_13, enc_hdr_14, enc_hdr_15, enc_hdr_16, enc_hdr_17,
                           enc_hdr_18, now_us};
  assign in_TREADY = '0;
  assign out_TDATA = '0;
  assign out_TKEEP = '0;
  assign out_TSTRB = '0;
  assign out_TLAST = '0;
  assign out_TVALID = '0;
  assign idle = '1;
endmodule
/* verilator lint_on DECLFILENAME */
