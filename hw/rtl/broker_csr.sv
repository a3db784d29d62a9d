// AXI4-Lite register block of the broker shell.
//
// Every decision follows the register map: the address decode comes from the generated
// broker_regmap_pkg (is_<reg>(), reg_mapped(), reg_is_rw(), reg_rw_index(), ...), so a change
// of broker.regmap.toml changes this block with no edit here.
//
// Behaviour
//   - One transaction at a time. AW and W are taken in any order (each held until the other
//     arrives); reads and writes alternate priority when both are offered.
//   - Unmapped address (outside every register instance, or not 4-byte aligned): SLVERR,
//     reads return 0, nothing is forwarded.
//   - Read-only registers: writes are ignored (OKAY). They read: ID/VERSION/CAPS/CAPS2 (any
//     ro register without a source of its own) their reset value; NOW_US the tick counter;
//     OUT_STATUS.EMPTY the egress queue; OUT_UTIL_BP / OUT_UTIL_PEAK_BP the meters; counter
//     words (LO and HI) are asked of the core on ctr_req and answered on ctr_rsp.
//   - rw registers: the shell keeps a shadow of every instance (RW_COUNT words of RAM) so
//     they read back what was written, honouring WSTRB; UTIL_WINDOW_US and OUT_SPEED_MBPS
//     are also kept in flip-flops that drive the meters. wo1 registers read 0.
//   - Every write to a rw or wo1 register is forwarded to the core on csr_wr as
//     {address, data} (data = the merged rw value, or the strobed wo1 value); BVALID waits
//     for csr_wr TREADY. COMMAND.CLEAR_COUNTERS also clears the meters' peaks.
//   - After reset the block walks the rw registers once (RW_COUNT clocks + one per non-zero
//     reset value): it loads every shadow word with its reset value and forwards each
//     non-zero reset value to the core (whose configuration resets to zero), as the soft card
//     does. AWREADY/WREADY/ARREADY stay low until then (about 2 500 clocks, < 10 us).
module broker_csr #(
  parameter int unsigned NUM_OUT = 16
) (
  input  logic        clk,
  input  logic        rst_n,
  // AXI4-Lite slave
  input  logic [15:0] s_axil_awaddr,
  input  logic        s_axil_awvalid,
  output logic        s_axil_awready,
  input  logic [31:0] s_axil_wdata,
  input  logic [3:0]  s_axil_wstrb,
  input  logic        s_axil_wvalid,
  output logic        s_axil_wready,
  output logic [1:0]  s_axil_bresp,
  output logic        s_axil_bvalid,
  input  logic        s_axil_bready,
  input  logic [15:0] s_axil_araddr,
  input  logic        s_axil_arvalid,
  output logic        s_axil_arready,
  output logic [31:0] s_axil_rdata,
  output logic [1:0]  s_axil_rresp,
  output logic        s_axil_rvalid,
  input  logic        s_axil_rready,
  // to the core
  output logic [63:0] csr_wr_tdata,
  output logic        csr_wr_tvalid,
  input  logic        csr_wr_tready,
  output logic [31:0] ctr_req_tdata,
  output logic        ctr_req_tvalid,
  input  logic        ctr_req_tready,
  input  logic [31:0] ctr_rsp_tdata,
  input  logic        ctr_rsp_tvalid,
  output logic        ctr_rsp_tready,
  // shell status
  input  logic [31:0]           now_us_i,     // low word of the 64-bit time base: NOW_US
  input  logic [NUM_OUT-1:0]    out_empty_i,
  input  logic [NUM_OUT*16-1:0] util_bp_i,
  input  logic [NUM_OUT*16-1:0] peak_bp_i,
  // shell settings
  output logic [31:0]           window_us_o,   // UTIL_WINDOW_US
  output logic [NUM_OUT*32-1:0] speed_mbps_o,  // OUT_SPEED_MBPS, port p in [32p+31:32p]
  output logic                  clear_peak_o   // COMMAND.CLEAR_COUNTERS written
);
  localparam int unsigned RW_COUNT = broker_regmap_pkg::RW_COUNT;
  localparam int unsigned RIW = broker_regmap_pkg::RW_INDEX_W;
  localparam logic [1:0] RESP_OKAY = 2'b00;
  localparam logic [1:0] RESP_SLVERR = 2'b10;

  if (NUM_OUT != broker_regmap_pkg::OUT_PORTS) begin : g_bad_num_out
    $error("broker_csr: NUM_OUT differs from the register map's out_ports");
  end

  typedef enum logic [3:0] {
    S_INIT,       // reset sweep: shadow word init_idx
    S_INIT_FWD,   // reset sweep: forward a non-zero reset value
    S_IDLE,
    S_WDEC,       // decode a write (shadow read issued for rw)
    S_WMERGE,     // merge WSTRB into the shadow word
    S_WFWD,       // csr_wr to the core
    S_BRESP,
    S_RDEC,       // decode a read
    S_RRAM,       // shadow word arrives
    S_CREQ,       // ctr_req to the core
    S_CRSP,       // ctr_rsp from the core
    S_RRESP
  } state_t;

  state_t      state;
  logic        prefer_read;       // alternate read/write priority
  logic        aw_full, w_full;
  logic [31:0] addr_q;            // of the transaction in progress
  logic [31:0] wdata_q;
  logic [3:0]  wstrb_q;
  logic [31:0] data_q;            // forwarded / read data
  logic [1:0]  resp_q;
  logic [RIW-1:0] init_idx;

  // ---- handshakes --------------------------------------------------------------------
  logic idle, nothing_held, grant_read;
  assign idle         = (state == S_IDLE);
  assign nothing_held = !aw_full && !w_full;
  assign grant_read   = idle && nothing_held && s_axil_arvalid &&
                        (prefer_read || !(s_axil_awvalid || s_axil_wvalid));
  assign s_axil_arready = grant_read;
  assign s_axil_awready = idle && !aw_full && !grant_read;
  assign s_axil_wready  = idle && !w_full && !grant_read;
  assign s_axil_bvalid  = (state == S_BRESP);
  assign s_axil_bresp   = resp_q;
  assign s_axil_rvalid  = (state == S_RRESP);
  assign s_axil_rresp   = resp_q;
  assign s_axil_rdata   = data_q;

  assign csr_wr_tvalid  = (state == S_WFWD) || (state == S_INIT_FWD);
  assign csr_wr_tdata   = {addr_q, data_q};
  assign ctr_req_tvalid = (state == S_CREQ);
  assign ctr_req_tdata  = addr_q;
  assign ctr_rsp_tready = (state == S_CRSP);

  // ---- shadow RAM of the rw registers --------------------------------------------------
  (* ram_style = "block" *)
  logic [31:0]    shadow [0:RW_COUNT-1];
  logic [RIW-1:0] ram_addr;
  logic           ram_we;
  logic [31:0]    ram_wdata, ram_q;

  always_ff @(posedge clk) begin
    if (ram_we) shadow[ram_addr] <= ram_wdata;
    ram_q <= shadow[ram_addr];
  end

  // ---- decode of the held address ----------------------------------------------------
  logic        a_mapped, a_rw, a_wo1, a_counter;
  logic [31:0] wmask, merged, local_rdata;
  logic [broker_regmap_pkg::EGRESS_INDEX_W-1:0]      a_port;
  logic [broker_regmap_pkg::EGRESS_PEAK_INDEX_W-1:0] a_peak_port;

  assign a_mapped    = broker_regmap_pkg::reg_mapped(addr_q);
  assign a_rw        = broker_regmap_pkg::reg_is_rw(addr_q);
  assign a_wo1       = broker_regmap_pkg::reg_is_wo1(addr_q);
  assign a_counter   = broker_regmap_pkg::reg_is_core_counter(addr_q);
  assign a_port      = broker_regmap_pkg::egress_index(addr_q);
  assign a_peak_port = broker_regmap_pkg::egress_peak_index(addr_q);
  assign wmask  = {{8{wstrb_q[3]}}, {8{wstrb_q[2]}}, {8{wstrb_q[1]}}, {8{wstrb_q[0]}}};
  assign merged = (ram_q & ~wmask) | (wdata_q & wmask);

  always_comb begin
    local_rdata = broker_regmap_pkg::reg_ro_reset(addr_q);
    if (broker_regmap_pkg::is_now_us(addr_q)) local_rdata = now_us_i;
    if (broker_regmap_pkg::is_out_status(addr_q)) begin
      local_rdata = 32'd0;
      local_rdata[broker_regmap_pkg::OUT_STATUS_EMPTY_LSB] = out_empty_i[a_port];
    end
    if (broker_regmap_pkg::is_out_util_bp(addr_q))
      local_rdata = {16'd0, util_bp_i[a_port*16 +: 16]};
    if (broker_regmap_pkg::is_out_util_peak_bp(addr_q))
      local_rdata = {16'd0, peak_bp_i[a_peak_port*16 +: 16]};
    if (a_wo1) local_rdata = 32'd0;
  end

  always_comb begin
    ram_we    = 1'b0;
    ram_wdata = merged;
    ram_addr  = broker_regmap_pkg::reg_rw_index(addr_q);
    if (state == S_INIT) begin
      ram_we    = 1'b1;
      ram_addr  = init_idx;
      ram_wdata = broker_regmap_pkg::rw_index_reset(init_idx);
    end else if (state == S_WMERGE) begin
      ram_we = 1'b1;
    end
  end

  // ---- the transaction ---------------------------------------------------------------
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state        <= S_INIT;
      init_idx     <= '0;
      prefer_read  <= 1'b0;
      aw_full      <= 1'b0;
      w_full       <= 1'b0;
      resp_q       <= RESP_OKAY;
      clear_peak_o <= 1'b0;
      window_us_o  <= broker_regmap_pkg::UTIL_WINDOW_US_RESET;
      for (int p = 0; p < NUM_OUT; p++)
        speed_mbps_o[p*32 +: 32] <= broker_regmap_pkg::OUT_SPEED_MBPS_RESET;
    end else begin
      clear_peak_o <= 1'b0;
      case (state)
        S_INIT: begin
          addr_q <= broker_regmap_pkg::rw_index_addr(init_idx);
          data_q <= broker_regmap_pkg::rw_index_reset(init_idx);
          if (broker_regmap_pkg::rw_index_reset(init_idx) != 32'd0) begin
            state <= S_INIT_FWD;
          end else if (init_idx == RIW'(RW_COUNT - 1)) begin
            state <= S_IDLE;
          end
          init_idx <= init_idx + 1'b1;
        end
        S_INIT_FWD: begin
          if (csr_wr_tready) state <= (init_idx == RIW'(RW_COUNT)) ? S_IDLE : S_INIT;
        end
        S_IDLE: begin
          if (s_axil_awvalid && s_axil_awready) begin
            aw_full <= 1'b1;
            addr_q  <= {16'd0, s_axil_awaddr};
          end
          if (s_axil_wvalid && s_axil_wready) begin
            w_full  <= 1'b1;
            wdata_q <= s_axil_wdata;
            wstrb_q <= s_axil_wstrb;
          end
          if ((aw_full || (s_axil_awvalid && s_axil_awready)) &&
              (w_full || (s_axil_wvalid && s_axil_wready))) begin
            state       <= S_WDEC;
            prefer_read <= 1'b1;
          end
          if (grant_read) begin
            addr_q      <= {16'd0, s_axil_araddr};
            state       <= S_RDEC;
            prefer_read <= 1'b0;
          end
        end
        S_WDEC: begin
          // The shadow word of a rw register is being read this clock (ram_addr).
          aw_full <= 1'b0;
          w_full  <= 1'b0;
          resp_q  <= a_mapped ? RESP_OKAY : RESP_SLVERR;
          data_q  <= wdata_q & wmask;
          if (!a_mapped) begin
            state <= S_BRESP;
          end else if (a_rw) begin
            state <= S_WMERGE;
          end else if (a_wo1) begin
            state <= S_WFWD;
            if (broker_regmap_pkg::is_command(addr_q) &&
                (wdata_q & wmask & broker_regmap_pkg::COMMAND_CLEAR_COUNTERS_MASK) != 32'd0)
              clear_peak_o <= 1'b1;
          end else begin
            state <= S_BRESP;   // read-only: ignored
          end
        end
        S_WMERGE: begin
          data_q <= merged;
          if (broker_regmap_pkg::is_util_window_us(addr_q)) window_us_o <= merged;
          if (broker_regmap_pkg::is_out_speed_mbps(addr_q)) speed_mbps_o[a_port*32 +: 32] <= merged;
          state <= S_WFWD;
        end
        S_WFWD: begin
          if (csr_wr_tready) state <= S_BRESP;
        end
        S_BRESP: begin
          if (s_axil_bready) state <= S_IDLE;
        end
        S_RDEC: begin
          resp_q <= a_mapped ? RESP_OKAY : RESP_SLVERR;
          data_q <= a_mapped ? local_rdata : 32'd0;
          if (!a_mapped) state <= S_RRESP;
          else if (a_counter) state <= S_CREQ;
          else if (a_rw) state <= S_RRAM;
          else state <= S_RRESP;
        end
        S_RRAM: begin
          data_q <= ram_q;
          state  <= S_RRESP;
        end
        S_CREQ: begin
          if (ctr_req_tready) state <= S_CRSP;
        end
        S_CRSP: begin
          if (ctr_rsp_tvalid) begin
            data_q <= ctr_rsp_tdata;
            state  <= S_RRESP;
          end
        end
        S_RRESP: begin
          if (s_axil_rready) state <= S_IDLE;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
