// Co-simulation module of the HLS kernel broker_encap (tunnel origination, hw/hls/encap_top.cpp),
// with the ports Vitis HLS gives it (the same as hw/rtl/broker_encap_bb.sv, which lint and
// synthesis use instead). On every rising edge the kernel's function encap_task
// (hw/hls/encap.cpp, from broker_core: the code Vitis synthesizes) runs once through DPI-C
// (sim/dpi/encap_dpi.cpp), with this instance's own EncapState (reset while ap_rst_n is low),
// as the generated task modules of the core do (build: hw/graph/generated/sim/core_task_*.sv):
//   1. an output word the sink took (out_TVALID & out_TREADY) leaves the output register; an
//      input word whose handshake completed (in_TVALID & in_TREADY) goes into the stream the
//      function reads;
//   2. unless the output register still holds a word the sink has not taken, the function is
//      called once, with the configuration wires converted by encap_config_of;
//   3. what it wrote is on the outputs from the next clock (latency 1; encap.h expects 2 of
//      Vitis HLS); idle = encap_idle() of the state after the edge.
// in_TREADY: the kernel may take a word this clock (reset released, the output register free
// or being taken, no input word waiting that the function has not read yet).
module broker_encap (
  input  logic         ap_clk,
  input  logic         ap_rst_n,
  input  logic [511:0] in_TDATA,
  input  logic [63:0]  in_TKEEP,
  input  logic [63:0]  in_TSTRB,
  input  logic [16:0]  in_TUSER,
  input  logic         in_TLAST,
  input  logic         in_TVALID,
  output logic         in_TREADY,
  output logic [511:0] out_TDATA,
  output logic [63:0]  out_TKEEP,
  output logic [63:0]  out_TSTRB,
  output logic         out_TLAST,
  output logic         out_TVALID,
  input  logic         out_TREADY,
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
  input  logic [63:0]  now_us,
  output logic         idle
);
  import "DPI-C" function chandle broker_encap_new(input string scope);
  import "DPI-C" function void broker_encap_free(input chandle h);
  import "DPI-C" function void broker_encap_clock(
    input  chandle h,
    input  bit rst_n,
    input  bit in_fire,
    input  bit [511:0] in_data,
    input  bit [63:0] in_keep,
    input  bit [16:0] in_user,
    input  bit in_last,
    output bit in_held,
    input  bit out_ready,
    output bit out_valid,
    output bit [511:0] out_data,
    output bit [63:0] out_keep,
    output bit [63:0] out_strb,
    output bit out_last,
    input  bit [31:0] ctrl,
    input  bit [31:0] slice,
    input  bit [31:0] csum,
    input  bit [607:0] hdr,
    input  bit [63:0] now,
    output bit is_idle);

  chandle h;
  logic in_held;   // the kernel holds an input word its function has not read yet
  logic run;       // the output register is free or being taken: the kernel moves on this edge
  assign run = ~out_TVALID | out_TREADY;
  assign in_TREADY = ap_rst_n & run & ~in_held;

  // The header words as one vector, ENC_HDRk at [32k +: 32] (what encap_config_of takes).
  logic [607:0] hdr;
  assign hdr = {enc_hdr_18, enc_hdr_17, enc_hdr_16, enc_hdr_15, enc_hdr_14, enc_hdr_13,
                enc_hdr_12, enc_hdr_11, enc_hdr_10, enc_hdr_9, enc_hdr_8, enc_hdr_7, enc_hdr_6,
                enc_hdr_5, enc_hdr_4, enc_hdr_3, enc_hdr_2, enc_hdr_1, enc_hdr_0};

  // TSTRB in: the function reads TKEEP (the shell drives both alike).
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_strb = &{1'b0, in_TSTRB};
  /* verilator lint_on UNUSEDSIGNAL */

  // What the C++ side computes for the next clock; registered below.
  bit n_in_held, n_out_valid, n_out_last, n_idle;
  bit [511:0] n_out_data;
  bit [63:0] n_out_keep, n_out_strb;

  initial begin
    h = broker_encap_new($sformatf("%m"));
    in_held = 1'b0;
    out_TVALID = 1'b0;
    out_TDATA = '0;
    out_TKEEP = '0;
    out_TSTRB = '0;
    out_TLAST = 1'b0;
    idle = 1'b1;
  end

  final broker_encap_free(h);

  always @(posedge ap_clk) begin
    broker_encap_clock(h, ap_rst_n, in_TVALID & in_TREADY, in_TDATA, in_TKEEP, in_TUSER, in_TLAST,
                       n_in_held, out_TREADY, n_out_valid, n_out_data, n_out_keep, n_out_strb,
                       n_out_last, enc_ctrl, enc_slice, enc_csum, hdr, now_us, n_idle);
    in_held <= n_in_held;
    out_TVALID <= n_out_valid;
    out_TDATA <= n_out_data;
    out_TKEEP <= n_out_keep;
    out_TSTRB <= n_out_strb;
    out_TLAST <= n_out_last;
    idle <= n_idle;
  end
endmodule
