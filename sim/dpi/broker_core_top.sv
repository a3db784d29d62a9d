// Simulation-only stand-in for the Vitis HLS kernel `broker_core_top` (docs/hw-interfaces.md):
// the same ports, and behind them the same native core (`broker_core_step` from hw/hls),
// reached through DPI-C (sim/dpi/core_dpi.cpp). The lint black box hw/rtl/*_bb.sv must not be
// compiled together with this file.
//
// Timing, one call into C++ per rising edge of ap_clk:
//   1. the handshakes of the ending cycle are taken (VALID & READY, with the values both sides
//      presented during the cycle): accepted rx/csr_wr/ctr_req words enter small input FIFOs,
//      a tx/ctr_rsp word the shell accepted leaves the output slot;
//   2. broker_core_step runs once (at most one CSR write, one counter read, one RX beat in and
//      one TX beat out, as the II=1 kernel does per clock); like a blocking write in the
//      pipelined kernel, it does not run while an output it may write is still backed up;
//   3. the outputs for the next cycle are registered: the head of the TX/counter FIFOs with
//      VALID, and READY = "this input FIFO can take one more word".
// In steady flow every cycle takes one RX beat and presents one TX beat: no bubbles. A frame
// of at most one beat leaves on the cycle after it entered; longer frames wait for their
// header window (kHeaderBeats beats), as the kernel does.
//
// Several instances may coexist: each holds a handle to its own heap-allocated kernel state.
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
  // register writes {address[63:32], data[31:0]}
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
  // time base and egress utilization (port p in bits [16p+15:16p])
  input  logic [31:0]  now_us,
  input  logic [255:0] util_bp
);

  import "DPI-C" function chandle broker_core_dpi_new(input string scope);
  import "DPI-C" function void broker_core_dpi_free(input chandle h);
  import "DPI-C" function void broker_core_dpi_clock(
    input  chandle       h,
    input  bit           rst_n,
    input  bit           rx_fire,
    input  bit [511:0]   rx_data,
    input  bit [63:0]    rx_keep,
    input  bit [63:0]    rx_strb,
    input  bit           rx_last,
    input  bit [7:0]     rx_id,
    input  bit [7:0]     rx_dest,
    input  bit           tx_fire,
    input  bit           csr_fire,
    input  bit [63:0]    csr_data,
    input  bit           req_fire,
    input  bit [31:0]    req_data,
    input  bit           rsp_fire,
    input  bit [31:0]    now,
    input  bit [255:0]   util,
    output bit           o_rx_ready,
    output bit           o_tx_valid,
    output bit [511:0]   o_tx_data,
    output bit [63:0]    o_tx_keep,
    output bit [63:0]    o_tx_strb,
    output bit           o_tx_last,
    output bit [7:0]     o_tx_id,
    output bit [7:0]     o_tx_dest,
    output bit           o_csr_ready,
    output bit           o_req_ready,
    output bit           o_rsp_valid,
    output bit [31:0]    o_rsp_data
  );

  chandle h;

  // Next-cycle outputs as C++ computes them; registered into the ports below.
  bit         n_rx_ready, n_tx_valid, n_tx_last, n_csr_ready, n_req_ready, n_rsp_valid;
  bit [511:0] n_tx_data;
  bit [63:0]  n_tx_keep, n_tx_strb;
  bit [7:0]   n_tx_id, n_tx_dest;
  bit [31:0]  n_rsp_data;

  initial begin
    h = broker_core_dpi_new($sformatf("%m"));
    rx_TREADY = 1'b0;
    tx_TVALID = 1'b0;
    tx_TDATA = '0;
    tx_TKEEP = '0;
    tx_TSTRB = '0;
    tx_TLAST = '0;
    tx_TID = '0;
    tx_TDEST = '0;
    csr_wr_TREADY = 1'b0;
    ctr_req_TREADY = 1'b0;
    ctr_rsp_TVALID = 1'b0;
    ctr_rsp_TDATA = '0;
  end

  final broker_core_dpi_free(h);

  always @(posedge ap_clk) begin
    broker_core_dpi_clock(h, ap_rst_n,
                          rx_TVALID & rx_TREADY, rx_TDATA, rx_TKEEP, rx_TSTRB, rx_TLAST,
                          rx_TID, rx_TDEST,
                          tx_TVALID & tx_TREADY,
                          csr_wr_TVALID & csr_wr_TREADY, csr_wr_TDATA,
                          ctr_req_TVALID & ctr_req_TREADY, ctr_req_TDATA,
                          ctr_rsp_TVALID & ctr_rsp_TREADY,
                          now_us, util_bp,
                          n_rx_ready, n_tx_valid, n_tx_data, n_tx_keep, n_tx_strb, n_tx_last,
                          n_tx_id, n_tx_dest, n_csr_ready, n_req_ready, n_rsp_valid, n_rsp_data);
    rx_TREADY      <= n_rx_ready;
    tx_TVALID      <= n_tx_valid;
    tx_TDATA       <= n_tx_data;
    tx_TKEEP       <= n_tx_keep;
    tx_TSTRB       <= n_tx_strb;
    tx_TLAST       <= n_tx_last;
    tx_TID         <= n_tx_id;
    tx_TDEST       <= n_tx_dest;
    csr_wr_TREADY  <= n_csr_ready;
    ctr_req_TREADY <= n_req_ready;
    ctr_rsp_TVALID <= n_rsp_valid;
    ctr_rsp_TDATA  <= n_rsp_data;
  end

endmodule
