// Black box of the HLS core `broker_core_top` (hw/hls/broker_core.cpp, Vitis HLS port names),
// with exactly the ports of docs/hw-interfaces.md. Used ONLY for the Verilator lint and the
// yosys resource report of the shell: outputs are tied off. The Verilator co-simulation
// (sim/) replaces it by a DPI-C model of the same module name; the real design uses the RTL
// Vitis HLS generates.
// The file is named _bb so nobody mistakes it for the core; the module must carry the core's
// name, hence the one waiver.
/* verilator lint_off DECLFILENAME */
(* blackbox *)
module broker_core_top (
  input  logic         ap_clk,
  input  logic         ap_rst_n,
  // frames in; TID = ingress port
  input  logic [511:0] rx_TDATA,
  input  logic [63:0]  rx_TKEEP,
  input  logic [63:0]  rx_TSTRB,
  input  logic         rx_TLAST,
  input  logic [7:0]   rx_TID,
  input  logic [7:0]   rx_TDEST,
  input  logic         rx_TVALID,
  output logic         rx_TREADY,
  // frames out; TDEST = egress port
  output logic [511:0] tx_TDATA,
  output logic [63:0]  tx_TKEEP,
  output logic [63:0]  tx_TSTRB,
  output logic         tx_TLAST,
  output logic [7:0]   tx_TID,
  output logic [7:0]   tx_TDEST,
  output logic         tx_TVALID,
  input  logic         tx_TREADY,
  // register writes {address, data}
  input  logic [63:0]  csr_wr_TDATA,
  input  logic         csr_wr_TVALID,
  output logic         csr_wr_TREADY,
  // counter reads: address in, word out
  input  logic [31:0]  ctr_req_TDATA,
  input  logic         ctr_req_TVALID,
  output logic         ctr_req_TREADY,
  output logic [31:0]  ctr_rsp_TDATA,
  output logic         ctr_rsp_TVALID,
  input  logic         ctr_rsp_TREADY,
  // shell inputs
  input  logic [63:0]  now_us,
  input  logic [255:0] util_bp
);
  // A stub: every input is deliberately unused.
  logic unused_inputs;
  assign unused_inputs = ^{ap_clk, ap_rst_n, rx_TDATA, rx_TKEEP, rx_TSTRB, rx_TLAST, rx_TID,
                           rx_TDEST, rx_TVALID, tx_TREADY, csr_wr_TDATA, csr_wr_TVALID,
                           ctr_req_TDATA, ctr_req_TVALID, ctr_rsp_TREADY, now_us, util_bp};
  assign rx_TREADY      = 1'b0;
  assign tx_TDATA       = '0;
  assign tx_TKEEP       = '0;
  assign tx_TSTRB       = '0;
  assign tx_TLAST       = 1'b0;
  assign tx_TID         = '0;
  assign tx_TDEST       = '0;
  assign tx_TVALID      = 1'b0;
  assign csr_wr_TREADY  = 1'b0;
  assign ctr_req_TREADY = 1'b0;
  assign ctr_rsp_TDATA  = '0;
  assign ctr_rsp_TVALID = 1'b0;
endmodule
/* verilator lint_on DECLFILENAME */
