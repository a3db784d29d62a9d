// Top of the packet broker data path: the RTL shell around the HLS core.
//
//   rx ports -> packet_fifo per port (drops whole frames it has no room for; never back-pressures
//   the network) -> per lane (one per CMAC: ingress port i in lane i % 2) an ingress_arbiter
//   (round robin, frame atomic, TID = port) -> broker_core_top's rx0 / rx1 (each lane one beat
//   per clock) -> per lane a TDEST demultiplexer -> packet_fifo per port and lane as egress
//   queue (drops whole frames for that port only; never back-pressures the core; gives each
//   frame's length with its beats) -> per port an arbiter joining its two lanes' frames (with
//   their lengths) -> per port the HLS kernel broker_encap (tunnel origination: wraps each frame
//   in the port's header template when ENC_CTRL.ENABLE, else passes it; TUSER = the length)
//   -> tx ports
//
//     core tx0 ─► TDEST ─► queue (port p, lane 0) ─┐
//                                                   ├─► join ─► encap ─► tx_* port p ─► tx_meter
//     core tx1 ─► TDEST ─► queue (port p, lane 1) ─┘   {length, beat}   (wrapped frame)
//
//   drop counters per port (TX_DROPS, RX_DROPS) -> the CSR block
//   link_up_i & ~LINK_ADMIN_DOWN -> LINK_STATUS: the core's link_up (failover: a member whose
//   link is down leaves selection), each egress queue's flush, LINK_DOWNS per port
//   tx_meter per port (accepted TX beats: the wrapped frames) -> util_bp to the core,
//   OUT_UTIL_* to the CSR block
//   us_tick -> now_us to the core, the encaps and the meters; broker_csr (AXI4-Lite) ->
//   csr_wr / ctr_req, and each port's active ENC_* registers to its encap
//
// Ports exactly as docs/hw-interfaces.md. Yosys 0.23 (the resource report) cannot parse packed
// 2-D ports, so when BROKER_FLAT_PORTS is defined (only by hw/rtl/synth) the same ports are
// declared as flat vectors: the same bits in the same order, port p at [p*W +: W].
module broker_top #(
  parameter int unsigned NUM_IN      = 8,          // = broker_regmap_pkg in_ports
  parameter int unsigned NUM_OUT     = 16,         // = out_ports
  parameter int unsigned CLK_HZ      = 322265625,  // built-for clock: the tick's until KERNEL_CLK_HZ is written
  parameter int unsigned QUEUE_BEATS = 2048,       // egress queue depth per port and lane, beats (= CAPS3)
  parameter int unsigned RX_FIFO_BEATS = 2048,     // ingress FIFO depth per port, beats (= CAPS3)
  // Ports with a wire on the card (CAPS3.RX_WIRED / TX_WIRED): only ports 0 .. *_WIRED-1 get
  // a FIFO, a queue, a meter and drop counters. The others keep their registers (the register
  // map is the same on every card) but nothing is built for them: an unwired ingress port takes
  // and ignores its input, an unwired egress port never sends (the driver refuses to use it).
  parameter int unsigned RX_WIRED = NUM_IN,
  parameter int unsigned TX_WIRED = NUM_OUT
) (
  input  logic clk, input logic rst_n,
  // AXI4-Lite slave (16-bit byte addresses)
  input  logic [15:0] s_axil_awaddr, input  logic s_axil_awvalid, output logic s_axil_awready,
  input  logic [31:0] s_axil_wdata,  input  logic [3:0] s_axil_wstrb,
  input  logic s_axil_wvalid, output logic s_axil_wready,
  output logic [1:0]  s_axil_bresp,  output logic s_axil_bvalid, input logic s_axil_bready,
  input  logic [15:0] s_axil_araddr, input  logic s_axil_arvalid, output logic s_axil_arready,
  output logic [31:0] s_axil_rdata,  output logic [1:0] s_axil_rresp,
  output logic s_axil_rvalid, input logic s_axil_rready,
`ifdef BROKER_FLAT_PORTS
  input  logic [NUM_IN*512-1:0] rx_tdata, input logic [NUM_IN*64-1:0] rx_tkeep,
`else
  // ingress AXI4-Stream, one per ingress port (512-bit, TKEEP contiguous from byte 0)
  input  logic [NUM_IN-1:0][511:0] rx_tdata, input logic [NUM_IN-1:0][63:0] rx_tkeep,
`endif
  input  logic [NUM_IN-1:0] rx_tlast, input logic [NUM_IN-1:0] rx_tvalid,
  output logic [NUM_IN-1:0] rx_tready,
`ifdef BROKER_FLAT_PORTS
  output logic [NUM_OUT*512-1:0] tx_tdata, output logic [NUM_OUT*64-1:0] tx_tkeep,
`else
  // egress AXI4-Stream, one per egress port
  output logic [NUM_OUT-1:0][511:0] tx_tdata, output logic [NUM_OUT-1:0][63:0] tx_tkeep,
`endif
  output logic [NUM_OUT-1:0] tx_tlast, output logic [NUM_OUT-1:0] tx_tvalid,
  input  logic [NUM_OUT-1:0] tx_tready,
  // Link state of each egress port (a MAC's receive status, through a synchronizer into clk;
  // broker_kernel ties it up and fails over through LINK_ADMIN_DOWN, see there).
  input  logic [NUM_OUT-1:0] link_up_i
);
  localparam int unsigned DATA_W = 512;
  localparam int unsigned KEEP_W = 64;
  localparam int unsigned LEN_W  = 17;       // a frame's length in bytes: the encap's TUSER
  localparam int unsigned QDATA_W = LEN_W + DATA_W;  // {length, data} through a port's join
  localparam int unsigned ENC_HDR_WORDS = 19;        // ENC_HDR0..18: the encap's enc_hdr array
  localparam int unsigned UTIL_PORTS = 16;   // util_bp of the core: 16 ports x 16 bits

  if (NUM_IN != broker_regmap_pkg::IN_PORTS) begin : g_bad_num_in
    $error("broker_top: NUM_IN differs from the register map's in_ports");
  end
  if (NUM_OUT != broker_regmap_pkg::OUT_PORTS || NUM_OUT > UTIL_PORTS) begin : g_bad_num_out
    $error("broker_top: NUM_OUT differs from the register map's out_ports (or exceeds 16)");
  end
  localparam logic [31:0] CAPS3_TXQ = (broker_regmap_pkg::CAPS3_RESET &
      broker_regmap_pkg::CAPS3_TX_QUEUE_BEATS_LOG2_MASK) >> broker_regmap_pkg::CAPS3_TX_QUEUE_BEATS_LOG2_LSB;
  localparam logic [31:0] CAPS3_RXF = (broker_regmap_pkg::CAPS3_RESET &
      broker_regmap_pkg::CAPS3_RX_FIFO_BEATS_LOG2_MASK) >> broker_regmap_pkg::CAPS3_RX_FIFO_BEATS_LOG2_LSB;
  if (RX_WIRED < 1 || RX_WIRED > NUM_IN || TX_WIRED < 1 || TX_WIRED > NUM_OUT) begin : g_bad_wired
    $error("broker_top: RX_WIRED must be 1..NUM_IN and TX_WIRED 1..NUM_OUT");
  end
  if (QUEUE_BEATS != (1 << CAPS3_TXQ) || RX_FIFO_BEATS != (1 << CAPS3_RXF)) begin : g_bad_depths
    $error("broker_top: QUEUE_BEATS / RX_FIFO_BEATS differ from the register map's CAPS3");
  end
  // The meters compute bp in ~50 clocks after a window closes; the shortest window is 1 us.
  if (CLK_HZ < 64000000) begin : g_bad_clk
    $error("broker_top: CLK_HZ below 64 MHz: a 1 us window would be shorter than the meters' latency");
  end

  // Flat views of the stream ports (a plain copy: same width, same bit order).
  logic [NUM_IN*DATA_W-1:0]  rx_tdata_flat;
  logic [NUM_IN*KEEP_W-1:0]  rx_tkeep_flat;
  logic [NUM_OUT*DATA_W-1:0] tx_tdata_flat;
  logic [NUM_OUT*KEEP_W-1:0] tx_tkeep_flat;
  assign rx_tdata_flat = rx_tdata;
  assign rx_tkeep_flat = rx_tkeep;
  assign tx_tdata = tx_tdata_flat;
  assign tx_tkeep = tx_tkeep_flat;

  // ---- time base ---------------------------------------------------------------------
  logic        tick_unused;
  logic [63:0] now_us /*verilator public_flat_rd*/;  // (the co-simulation card reads it: ERSPAN III timestamps)
  logic [31:0] now_frac;
  logic [31:0] clk_hz;   // KERNEL_CLK_HZ: the clock as the platform runs it (0: CLK_HZ)
  us_tick #(.CLK_HZ(CLK_HZ)) u_tick (
    .clk(clk), .rst_n(rst_n), .clk_hz_i(clk_hz), .tick(tick_unused), .now_us(now_us), .frac(now_frac));

  // ---- ingress -----------------------------------------------------------------------
  localparam int unsigned LANES = 2;              // = core_params.h kLanes: one per CMAC
  localparam int unsigned PER_LANE = NUM_IN / LANES;
  // The core instance below wires rx0/rx1 and tx0/tx1 by name.
  if (LANES != 2 || NUM_IN % LANES != 0) begin : g_bad_lanes
    $error("broker_top: the core has exactly two lanes, and NUM_IN must be a multiple of them");
  end
  // Per lane l at [l*W +: W] (flat: yosys 0.23 takes no packed 2-D arrays).
  logic [LANES*DATA_W-1:0] core_rx_tdata;
  logic [LANES*KEEP_W-1:0] core_rx_tkeep;
  logic [LANES-1:0]        core_rx_tlast, core_rx_tvalid, core_rx_tready;
  logic [LANES*8-1:0]      core_rx_tid;

  // Each ingress port's frames wait whole in its FIFO; one that finds no room is dropped whole
  // and counted (a CMAC's receive side cannot be held back).
  logic [NUM_IN*DATA_W-1:0] fifo_tdata;
  logic [NUM_IN*KEEP_W-1:0] fifo_tkeep;
  logic [NUM_IN-1:0]        fifo_tlast, fifo_tvalid, fifo_tready;
  logic [NUM_IN-1:0]        rx_commit_unused, rx_empty_unused, rx_discard_unused, rx_len_unused;
  logic [NUM_IN-1:0]        rx_drop /*verilator public_flat_rd*/;
  logic [NUM_IN*64-1:0]     rx_drops;
  logic                     clear_counters;

  for (genvar i = 0; i < NUM_IN; i++) begin : g_rx
   if (i >= RX_WIRED) begin : g_unwired
    assign rx_tready[i] = 1'b1;
    assign fifo_tdata[i*DATA_W +: DATA_W] = '0;
    assign fifo_tkeep[i*KEEP_W +: KEEP_W] = '0;
    assign fifo_tlast[i] = 1'b0;
    assign fifo_tvalid[i] = 1'b0;
    assign rx_commit_unused[i] = 1'b0;
    assign rx_discard_unused[i] = 1'b0;
    assign rx_empty_unused[i] = 1'b1;
    assign rx_len_unused[i] = 1'b0;
    assign rx_drop[i] = 1'b0;
    assign rx_drops[i*64 +: 64] = '0;
    // Nothing is built for this port: its input is taken and ignored.
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_in = &{1'b0, rx_tdata_flat[i*DATA_W +: DATA_W], rx_tkeep_flat[i*KEEP_W +: KEEP_W],
                       rx_tlast[i], rx_tvalid[i], fifo_tready[i]};
    /* verilator lint_on UNUSEDSIGNAL */
   end else begin : g_wired
    packet_fifo #(.DATA_W(DATA_W), .KEEP_W(KEEP_W), .DEPTH(RX_FIFO_BEATS)) u_fifo (
      .clk(clk), .rst_n(rst_n),
      .s_tdata(rx_tdata_flat[i*DATA_W +: DATA_W]), .s_tkeep(rx_tkeep_flat[i*KEEP_W +: KEEP_W]),
      .s_tlast(rx_tlast[i]), .s_tvalid(rx_tvalid[i]), .s_tready(rx_tready[i]),
      .m_tdata(fifo_tdata[i*DATA_W +: DATA_W]), .m_tkeep(fifo_tkeep[i*KEEP_W +: KEEP_W]),
      .m_tlast(fifo_tlast[i]), .m_tvalid(fifo_tvalid[i]), .m_tready(fifo_tready[i]),
      .m_tlen(rx_len_unused[i]), .flush_i(1'b0),
      .commit_o(rx_commit_unused[i]), .drop_o(rx_drop[i]), .discard_o(rx_discard_unused[i]),
      .empty_o(rx_empty_unused[i]));
    logic [63:0] drops_q;
    always_ff @(posedge clk) begin
      if (!rst_n || clear_counters) drops_q <= '0;
      else if (rx_drop[i]) drops_q <= drops_q + 64'd1;
    end
    assign rx_drops[i*64 +: 64] = drops_q;
   end
  end

  // Two lanes, one per CMAC: ingress port i goes to lane i % LANES, whose arbiter takes its
  // ports' frames round robin into the core's rx<lane>.
  for (genvar l = 0; l < LANES; l++) begin : g_lane_in
    logic [PER_LANE*DATA_W-1:0] d;
    logic [PER_LANE*KEEP_W-1:0] k;
    logic [PER_LANE-1:0]        last, valid, ready;
    logic [7:0]                 idx;
    for (genvar j = 0; j < PER_LANE; j++) begin : g_port
      assign d[j*DATA_W +: DATA_W] = fifo_tdata[(j*LANES+l)*DATA_W +: DATA_W];
      assign k[j*KEEP_W +: KEEP_W] = fifo_tkeep[(j*LANES+l)*KEEP_W +: KEEP_W];
      assign last[j]  = fifo_tlast[j*LANES+l];
      assign valid[j] = fifo_tvalid[j*LANES+l];
      assign fifo_tready[j*LANES+l] = ready[j];
    end
    ingress_arbiter #(.NUM_IN(PER_LANE), .DATA_W(DATA_W), .KEEP_W(KEEP_W), .ID_W(8)) u_arb (
      .clk(clk), .rst_n(rst_n),
      .s_tdata(d), .s_tkeep(k), .s_tlast(last), .s_tvalid(valid), .s_tready(ready),
      .m_tdata(core_rx_tdata[l*DATA_W +: DATA_W]), .m_tkeep(core_rx_tkeep[l*KEEP_W +: KEEP_W]),
      .m_tlast(core_rx_tlast[l]),
      .m_tid(idx), .m_tvalid(core_rx_tvalid[l]), .m_tready(core_rx_tready[l]));
    assign core_rx_tid[l*8 +: 8] = 8'(idx * LANES + l);  // the ingress port
  end

  // ---- the HLS core ------------------------------------------------------------------
  logic [LANES*DATA_W-1:0] core_tx_tdata;
  logic [LANES*KEEP_W-1:0] core_tx_tkeep, core_tx_tstrb_unused;
  logic [LANES-1:0]        core_tx_tlast, core_tx_tvalid, core_tx_tready;
  logic [LANES*8-1:0]      core_tx_tid_unused;
  logic [LANES*16-1:0]     core_tx_tdest;   // per lane: the egress ports that get the frame (bit p)
  logic [63:0]       csr_wr_tdata;
  logic              csr_wr_tvalid, csr_wr_tready;
  logic [31:0]       ctr_req_tdata, ctr_rsp_tdata;
  logic              ctr_req_tvalid, ctr_req_tready, ctr_rsp_tvalid, ctr_rsp_tready;
  logic [NUM_OUT*16-1:0]    util_bp, peak_bp;
  logic [UTIL_PORTS*16-1:0] core_util_bp;
  logic [UTIL_PORTS-1:0]    core_link_up;

  // ---- link state --------------------------------------------------------------------
  // LINK_STATUS: the wire's state unless forced down; ports without a wire are never up. It
  // is registered once, and the core, the queues and LINK_DOWNS all see the same register.
  logic [NUM_OUT-1:0]    admin_down, link_q;
  logic [NUM_OUT*64-1:0] link_downs;
  localparam logic [NUM_OUT-1:0] WIRED_MASK = NUM_OUT'((64'd1 << TX_WIRED) - 64'd1);

  always_ff @(posedge clk) begin
    if (!rst_n) link_q <= '0;
    else link_q <= link_up_i & ~admin_down & WIRED_MASK;
  end

  always_comb begin
    core_util_bp = '0;
    core_util_bp[NUM_OUT*16-1:0] = util_bp;
    core_link_up = '0;
    core_link_up[NUM_OUT-1:0] = link_q;
  end

  broker_core_top u_core (
    .ap_clk(clk), .ap_rst_n(rst_n),
    .rx0_TDATA(core_rx_tdata[0*DATA_W +: DATA_W]), .rx0_TKEEP(core_rx_tkeep[0*KEEP_W +: KEEP_W]), .rx0_TSTRB(core_rx_tkeep[0*KEEP_W +: KEEP_W]),
    .rx0_TLAST(core_rx_tlast[0]), .rx0_TID(core_rx_tid[0*8 +: 8]), .rx0_TDEST(16'd0),
    .rx0_TVALID(core_rx_tvalid[0]), .rx0_TREADY(core_rx_tready[0]),
    .rx1_TDATA(core_rx_tdata[1*DATA_W +: DATA_W]), .rx1_TKEEP(core_rx_tkeep[1*KEEP_W +: KEEP_W]), .rx1_TSTRB(core_rx_tkeep[1*KEEP_W +: KEEP_W]),
    .rx1_TLAST(core_rx_tlast[1]), .rx1_TID(core_rx_tid[1*8 +: 8]), .rx1_TDEST(16'd0),
    .rx1_TVALID(core_rx_tvalid[1]), .rx1_TREADY(core_rx_tready[1]),
    .tx0_TDATA(core_tx_tdata[0*DATA_W +: DATA_W]), .tx0_TKEEP(core_tx_tkeep[0*KEEP_W +: KEEP_W]), .tx0_TSTRB(core_tx_tstrb_unused[0*KEEP_W +: KEEP_W]),
    .tx0_TLAST(core_tx_tlast[0]), .tx0_TID(core_tx_tid_unused[0*8 +: 8]), .tx0_TDEST(core_tx_tdest[0*16 +: 16]),
    .tx0_TVALID(core_tx_tvalid[0]), .tx0_TREADY(core_tx_tready[0]),
    .tx1_TDATA(core_tx_tdata[1*DATA_W +: DATA_W]), .tx1_TKEEP(core_tx_tkeep[1*KEEP_W +: KEEP_W]), .tx1_TSTRB(core_tx_tstrb_unused[1*KEEP_W +: KEEP_W]),
    .tx1_TLAST(core_tx_tlast[1]), .tx1_TID(core_tx_tid_unused[1*8 +: 8]), .tx1_TDEST(core_tx_tdest[1*16 +: 16]),
    .tx1_TVALID(core_tx_tvalid[1]), .tx1_TREADY(core_tx_tready[1]),
    .csr_wr_TDATA(csr_wr_tdata), .csr_wr_TVALID(csr_wr_tvalid), .csr_wr_TREADY(csr_wr_tready),
    .ctr_req_TDATA(ctr_req_tdata), .ctr_req_TVALID(ctr_req_tvalid), .ctr_req_TREADY(ctr_req_tready),
    .ctr_rsp_TDATA(ctr_rsp_tdata), .ctr_rsp_TVALID(ctr_rsp_tvalid), .ctr_rsp_TREADY(ctr_rsp_tready),
    .now_us(now_us), .util_bp(core_util_bp), .link_up(core_link_up));

  // ---- TDEST demultiplexers -> egress queues -> tx ports -----------------------------------
  // Each lane's tx goes by TDEST, a mask of egress ports, to that lane's queue of every port in
  // it (a replicated frame is written into several queues at once, each its own write port);
  // a port's two queues take turns frame by frame into the port's encap (a round-robin,
  // frame-atomic arbiter, carrying each beat's frame length beside its data), and the encap
  // sends to the port. The queues never hold the core back (a frame without room is dropped for
  // its port only), so the core's tx is always ready. A wrapped frame leaves with one or two
  // beats more than it came in (its header), during which the encap takes nothing: the port's
  // queues absorb the difference.
  logic [LANES*NUM_OUT-1:0] q_in_valid, q_in_ready_unused;
  logic [NUM_OUT-1:0]       q_empty, tx_fire;
  // queue of port p in lane l: bit l*NUM_OUT + p
  logic [LANES*NUM_OUT-1:0] tx_commit /*verilator public_flat_rd*/;
  logic [LANES*NUM_OUT-1:0] tx_drop /*verilator public_flat_rd*/;
  logic [LANES*NUM_OUT-1:0] tx_discard /*verilator public_flat_rd*/;
  logic [LANES*NUM_OUT-1:0] tx_sent /*verilator public_flat_rd*/;  // a queue's frame left (TLAST), a clock later
  logic [NUM_OUT*64-1:0]    tx_drops;

  assign core_tx_tready = '1;
  always_comb begin
    q_in_valid = '0;
    for (int l = 0; l < LANES; l++)
      for (int p = 0; p < NUM_OUT; p++)
        q_in_valid[l*NUM_OUT + p] = core_tx_tvalid[l] && core_tx_tdest[l*16 + p];
  end

  assign tx_fire = tx_tvalid & tx_tready;

  // Settings from the CSR block.
  logic [31:0]           window_us;
  logic [NUM_OUT*32-1:0] util_scale;
  logic [NUM_OUT*7-1:0]  util_shift;
  logic [NUM_OUT*32-1:0] enc_ctrl, enc_slice, enc_csum;   // the active ENC_* of port p at [32p +: 32]
  logic [NUM_OUT*ENC_HDR_WORDS*32-1:0] enc_hdr;           // ENC_HDRk of port p at [(19p+k)*32 +: 32]

  for (genvar p = 0; p < NUM_OUT; p++) begin : g_port
   if (p >= TX_WIRED) begin : g_unwired
    assign tx_tdata_flat[p*DATA_W +: DATA_W] = '0;
    assign tx_tkeep_flat[p*KEEP_W +: KEEP_W] = '0;
    assign tx_tlast[p] = 1'b0;
    assign tx_tvalid[p] = 1'b0;
    assign q_empty[p] = 1'b1;
    assign tx_drops[p*64 +: 64] = '0;
    assign link_downs[p*64 +: 64] = '0;
    assign util_bp[p*16 +: 16] = '0;
    assign peak_bp[p*16 +: 16] = '0;
    for (genvar l = 0; l < LANES; l++) begin : g_lane
      assign q_in_ready_unused[l*NUM_OUT + p] = 1'b1;
      assign tx_commit[l*NUM_OUT + p] = 1'b0;
      assign tx_drop[l*NUM_OUT + p] = 1'b0;
      assign tx_discard[l*NUM_OUT + p] = 1'b0;
      assign tx_sent[l*NUM_OUT + p] = 1'b0;
    end
    // Nothing is built for this port: what the core would send it goes nowhere.
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_out = &{1'b0, q_in_valid[p], q_in_valid[NUM_OUT + p], util_scale[p*32 +: 32],
                        util_shift[p*7 +: 7], link_up_i[p], admin_down[p], enc_ctrl[p*32 +: 32],
                        enc_slice[p*32 +: 32], enc_csum[p*32 +: 32],
                        enc_hdr[p*ENC_HDR_WORDS*32 +: ENC_HDR_WORDS*32]};
    /* verilator lint_on UNUSEDSIGNAL */
   end else begin : g_wired
    logic [LANES*QDATA_W-1:0] qd;   // per lane {length, data}
    logic [LANES*KEEP_W-1:0]  qk;
    logic [LANES-1:0]         ql, qv, qr, qe;
    for (genvar l = 0; l < LANES; l++) begin : g_lane
      logic [DATA_W-1:0] data;
      logic [LEN_W-1:0]  len;
      packet_fifo #(.DATA_W(DATA_W), .KEEP_W(KEEP_W), .DEPTH(QUEUE_BEATS), .LEN_W(LEN_W)) u_queue (
        .clk(clk), .rst_n(rst_n),
        .s_tdata(core_tx_tdata[l*DATA_W +: DATA_W]), .s_tkeep(core_tx_tkeep[l*KEEP_W +: KEEP_W]),
        .s_tlast(core_tx_tlast[l]),
        .s_tvalid(q_in_valid[l*NUM_OUT + p]), .s_tready(q_in_ready_unused[l*NUM_OUT + p]),
        .m_tdata(data), .m_tkeep(qk[l*KEEP_W +: KEEP_W]),
        .m_tlast(ql[l]), .m_tvalid(qv[l]), .m_tready(qr[l]), .m_tlen(len),
        .flush_i(!link_q[p]),
        .commit_o(tx_commit[l*NUM_OUT + p]), .drop_o(tx_drop[l*NUM_OUT + p]),
        .discard_o(tx_discard[l*NUM_OUT + p]), .empty_o(qe[l]));
      assign qd[l*QDATA_W +: QDATA_W] = {len, data};
      // Registered like the queue's own pulses, so every fate of a stored frame is seen in
      // order (for the co-simulation's bookkeeping; nothing in the data path uses it).
      logic sent_q;
      always_ff @(posedge clk) begin
        if (!rst_n) sent_q <= 1'b0;
        else sent_q <= qv[l] && qr[l] && ql[l];
      end
      assign tx_sent[l*NUM_OUT + p] = sent_q;
    end
    logic [7:0]         lane_unused;
    logic [QDATA_W-1:0] j_data;     // {length, data}
    logic [KEEP_W-1:0]  j_keep, enc_strb_unused;
    logic               j_last, j_valid, j_ready, enc_idle;
    ingress_arbiter #(.NUM_IN(LANES), .DATA_W(QDATA_W), .KEEP_W(KEEP_W), .ID_W(8)) u_join (
      .clk(clk), .rst_n(rst_n),
      .s_tdata(qd), .s_tkeep(qk), .s_tlast(ql), .s_tvalid(qv), .s_tready(qr),
      .m_tdata(j_data), .m_tkeep(j_keep), .m_tlast(j_last), .m_tid(lane_unused),
      .m_tvalid(j_valid), .m_tready(j_ready));
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_lane = &{1'b0, lane_unused};
    /* verilator lint_on UNUSEDSIGNAL */

    // Tunnel origination (HLS, hw/hls/encap_top.cpp): free running, the port's active ENC_*
    // registers as plain wires. A frame it does not wrap passes beat for beat.
    broker_encap u_encap (
      .ap_clk(clk), .ap_rst_n(rst_n),
      .in_TDATA(j_data[DATA_W-1:0]), .in_TKEEP(j_keep), .in_TSTRB(j_keep),
      .in_TUSER(j_data[QDATA_W-1:DATA_W]), .in_TLAST(j_last),
      .in_TVALID(j_valid), .in_TREADY(j_ready),
      .out_TDATA(tx_tdata_flat[p*DATA_W +: DATA_W]), .out_TKEEP(tx_tkeep_flat[p*KEEP_W +: KEEP_W]),
      .out_TSTRB(enc_strb_unused), .out_TLAST(tx_tlast[p]),
      .out_TVALID(tx_tvalid[p]), .out_TREADY(tx_tready[p]),
      .enc_ctrl(enc_ctrl[p*32 +: 32]), .enc_slice(enc_slice[p*32 +: 32]), .enc_csum(enc_csum[p*32 +: 32]),
      .enc_hdr_0(enc_hdr[(p*ENC_HDR_WORDS+0)*32 +: 32]), .enc_hdr_1(enc_hdr[(p*ENC_HDR_WORDS+1)*32 +: 32]),
      .enc_hdr_2(enc_hdr[(p*ENC_HDR_WORDS+2)*32 +: 32]), .enc_hdr_3(enc_hdr[(p*ENC_HDR_WORDS+3)*32 +: 32]),
      .enc_hdr_4(enc_hdr[(p*ENC_HDR_WORDS+4)*32 +: 32]), .enc_hdr_5(enc_hdr[(p*ENC_HDR_WORDS+5)*32 +: 32]),
      .enc_hdr_6(enc_hdr[(p*ENC_HDR_WORDS+6)*32 +: 32]), .enc_hdr_7(enc_hdr[(p*ENC_HDR_WORDS+7)*32 +: 32]),
      .enc_hdr_8(enc_hdr[(p*ENC_HDR_WORDS+8)*32 +: 32]), .enc_hdr_9(enc_hdr[(p*ENC_HDR_WORDS+9)*32 +: 32]),
      .enc_hdr_10(enc_hdr[(p*ENC_HDR_WORDS+10)*32 +: 32]), .enc_hdr_11(enc_hdr[(p*ENC_HDR_WORDS+11)*32 +: 32]),
      .enc_hdr_12(enc_hdr[(p*ENC_HDR_WORDS+12)*32 +: 32]), .enc_hdr_13(enc_hdr[(p*ENC_HDR_WORDS+13)*32 +: 32]),
      .enc_hdr_14(enc_hdr[(p*ENC_HDR_WORDS+14)*32 +: 32]), .enc_hdr_15(enc_hdr[(p*ENC_HDR_WORDS+15)*32 +: 32]),
      .enc_hdr_16(enc_hdr[(p*ENC_HDR_WORDS+16)*32 +: 32]), .enc_hdr_17(enc_hdr[(p*ENC_HDR_WORDS+17)*32 +: 32]),
      .enc_hdr_18(enc_hdr[(p*ENC_HDR_WORDS+18)*32 +: 32]),
      .now_us(now_us), .idle(enc_idle));

    // Frames inside the encap, counted at its ports (one frame out per frame in): from its first
    // beat taken to its last beat sent, and until its last beat is taken (the beats past a
    // cut are read after the wrapped frame has left). With the encap's own idle this holds
    // whatever the HLS schedule's latency between a handshake and idle.
    logic [3:0] enc_frames;
    logic       enc_in_mid;
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        enc_frames <= '0;
        enc_in_mid <= 1'b0;
      end else begin
        if (j_valid && j_ready) enc_in_mid <= !j_last;
        enc_frames <= enc_frames + 4'(j_valid && j_ready && !enc_in_mid)
                                 - 4'(tx_tvalid[p] && tx_tready[p] && tx_tlast[p]);
      end
    end
    // Empty: both queues, no beat held in the join's register slice, no frame in the encap.
    assign q_empty[p] = &qe && !j_valid && enc_idle && enc_frames == 4'd0 && !enc_in_mid;
    // TX_DROPS: frames dropped on arrival (no room, or the link is down) and frames discarded
    // unsent from a queue when the link went down, both lanes; several can happen in one clock.
    logic [63:0] drops_q, link_downs_q;
    logic        link_was;
    always_ff @(posedge clk) begin
      if (!rst_n || clear_counters) drops_q <= '0;
      else drops_q <= drops_q + 64'(tx_drop[p]) + 64'(tx_discard[p]) +
                      64'(tx_drop[NUM_OUT + p]) + 64'(tx_discard[NUM_OUT + p]);
    end
    always_ff @(posedge clk) begin
      if (!rst_n) link_was <= 1'b0;
      else link_was <= link_q[p];
      if (!rst_n || clear_counters) link_downs_q <= '0;
      else if (link_was && !link_q[p]) link_downs_q <= link_downs_q + 64'd1;
    end
    assign tx_drops[p*64 +: 64] = drops_q;
    assign link_downs[p*64 +: 64] = link_downs_q;

    // Every meter starts its first window on the first TX beat of any port, so all ports
    // share one window alignment (as the soft card's single meter clock does). The meters
    // need microseconds modulo 2^32 only (wrap-safe, see tx_meter.sv); the core gets all 64.
    logic update_unused;
    tx_meter #(.KEEP_W(KEEP_W)) u_meter (
      .clk(clk), .rst_n(rst_n),
      .window_us_i(window_us), .scale_i(util_scale[p*32 +: 32]), .shift_i(util_shift[p*7 +: 7]),
      .clear_peak_i(clear_counters),
      .now_us_i(now_us[31:0]), .now_frac_i(now_frac), .start_i(|tx_fire),
      .beat_i(tx_fire[p]), .keep_i(tx_tkeep_flat[p*KEEP_W +: KEEP_W]), .last_i(tx_tlast[p]),
      .util_bp_o(util_bp[p*16 +: 16]), .peak_bp_o(peak_bp[p*16 +: 16]),
      .update_o(update_unused));
   end
  end

  // ---- registers ---------------------------------------------------------------------
  broker_csr #(.NUM_IN(NUM_IN), .NUM_OUT(NUM_OUT), .RX_WIRED(RX_WIRED), .TX_WIRED(TX_WIRED)) u_csr (
    .clk(clk), .rst_n(rst_n),
    .s_axil_awaddr(s_axil_awaddr), .s_axil_awvalid(s_axil_awvalid), .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb), .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp), .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr), .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready),
    .csr_wr_tdata(csr_wr_tdata), .csr_wr_tvalid(csr_wr_tvalid), .csr_wr_tready(csr_wr_tready),
    .ctr_req_tdata(ctr_req_tdata), .ctr_req_tvalid(ctr_req_tvalid), .ctr_req_tready(ctr_req_tready),
    .ctr_rsp_tdata(ctr_rsp_tdata), .ctr_rsp_tvalid(ctr_rsp_tvalid), .ctr_rsp_tready(ctr_rsp_tready),
    .now_us_i(now_us[31:0]), .out_empty_i(q_empty), .util_bp_i(util_bp), .peak_bp_i(peak_bp),
    .tx_drops_i(tx_drops), .rx_drops_i(rx_drops), .link_status_i(link_q), .link_downs_i(link_downs),
    .link_admin_down_o(admin_down), .window_us_o(window_us), .clk_hz_o(clk_hz), .scale_o(util_scale), .shift_o(util_shift),
    .clear_counters_o(clear_counters),
    .enc_ctrl_o(enc_ctrl), .enc_slice_o(enc_slice), .enc_csum_o(enc_csum), .enc_hdr_o(enc_hdr));
endmodule
