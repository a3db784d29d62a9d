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
//   - Read-only registers: writes are ignored (OKAY). They read: ID/VERSION/CAPS* (any ro
//     register without a source of its own) their reset value, CAPS3's wired-port counts from
//     the parameters; NOW_US the tick counter;
//     OUT_STATUS.EMPTY the egress queue; OUT_UTIL_BP / OUT_UTIL_PEAK_BP the meters; the shell's
//     counters (TX_DROPS, RX_DROPS, CSR_TIMEOUTS, LINK_DOWNS) their 64-bit inputs here;
//     LINK_STATUS the shell's link register; the core's counter
//     words (LO and HI) are asked of the core on ctr_req and answered on ctr_rsp. A LO read
//     latches HI (the core latches its own, the shell its own).
//   - rw registers: the shell keeps a shadow of every instance (RW_COUNT words of RAM) so
//     they read back what was written, honouring WSTRB; UTIL_WINDOW_US, OUT_UTIL_SCALE,
//     OUT_UTIL_SHIFT, KERNEL_CLK_HZ and LINK_ADMIN_DOWN are also kept in flip-flops that drive the meters and
//     the tick. wo1 registers read 0.
//   - Tunnel origination (block egress_tunnel): writes to ENC_SLICE, ENC_CSUM and ENC_HDRn are
//     staged, and a write to ENC_CTRL makes the staged words and the new ENC_CTRL the active
//     copy (enc_*_o), which the port's encap reads as plain wires; reads return the staged
//     words (the shadow). Both copies are flip-flops (the shadow is RAM, one word a clock), for
//     the wired ports only (p < TX_WIRED; the others' outputs are 0), so the active copy
//     changes whole in one clock. They hold only the bits the encap uses (the registers'
//     field masks: ENC_CTRL 3:0, ENC_SLICE and ENC_CSUM 15:0, ENC_HDRn all 32).
//   - Every write to a rw or wo1 register is forwarded to the core on csr_wr as
//     {address, data} (data = the merged rw value, or the strobed wo1 value); BVALID waits
//     for csr_wr TREADY. Only a forwarded write changes the shadow and the shell's settings.
//     COMMAND.CLEAR_COUNTERS also clears the meters' peaks and the shell's counters.
//   - Registers never wait on packets: the only waits are on the core (csr_wr, ctr_req,
//     ctr_rsp), and one that lasts TIMEOUT clocks (CSR_TIMEOUT_CYCLES) ends the access with
//     SLVERR, counted in CSR_TIMEOUTS: a write is then not applied, a read returns 0. So every
//     access is answered within TIMEOUT + 4 clocks of its address (and data) being taken.
//     A timed-out offer on csr_wr/ctr_req is withdrawn. AXI4-Stream asks a master to hold
//     TVALID until the handshake; the core's inputs are Vitis HLS register slices that take
//     a word only on a handshake, so a withdrawn offer is never half taken. A counter answer
//     that comes after its read timed out is discarded when it arrives (answers come in
//     order); with MAX_STALE such answers owed, counter reads fail at once.
//   - After reset the block walks the rw registers once (RW_COUNT clocks + one per non-zero
//     reset value): it loads every shadow word with its reset value and forwards each
//     non-zero reset value to the core (whose configuration resets to zero), as the soft card
//     does. AWREADY/WREADY/ARREADY stay low until then (about 2 500 clocks, < 10 us).
module broker_csr #(
  parameter int unsigned NUM_IN   = 8,
  parameter int unsigned NUM_OUT  = 16,
  parameter int unsigned RX_WIRED = NUM_IN,    // CAPS3.RX_WIRED
  parameter int unsigned TX_WIRED = NUM_OUT    // CAPS3.TX_WIRED
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
  input  logic [NUM_OUT*64-1:0] tx_drops_i,    // TX_DROPS of egress port p in [64p+63:64p]
  input  logic [NUM_IN*64-1:0]  rx_drops_i,    // RX_DROPS of ingress port i
  input  logic [NUM_OUT-1:0]    link_status_i, // LINK_STATUS
  input  logic [NUM_OUT*64-1:0] link_downs_i,  // LINK_DOWNS of egress port p
  // shell settings
  output logic [NUM_OUT-1:0]    link_admin_down_o,  // LINK_ADMIN_DOWN
  output logic [31:0]           window_us_o,   // UTIL_WINDOW_US
  output logic [31:0]           clk_hz_o,      // KERNEL_CLK_HZ
  output logic [NUM_OUT*32-1:0] scale_o,       // OUT_UTIL_SCALE, port p in [32p+31:32p]
  output logic [NUM_OUT*7-1:0]  shift_o,       // OUT_UTIL_SHIFT.SHIFT, port p in [7p+6:7p]
  output logic                  clear_counters_o, // COMMAND.CLEAR_COUNTERS written
  // the active (committed) tunnel origination registers of each egress port, port p in
  // [32p+31:32p], ENC_HDRk of port p in [(19p+k)*32 +: 32]
  output logic [NUM_OUT*32-1:0]    enc_ctrl_o,
  output logic [NUM_OUT*32-1:0]    enc_slice_o,
  output logic [NUM_OUT*32-1:0]    enc_csum_o,
  output logic [NUM_OUT*19*32-1:0] enc_hdr_o
);
  localparam int unsigned RW_COUNT = broker_regmap_pkg::RW_COUNT;
  localparam int unsigned TIMEOUT = broker_regmap_pkg::CSR_TIMEOUT_CYCLES_RESET;
  localparam int unsigned TW = $clog2(TIMEOUT + 1);
  localparam int unsigned MAX_STALE = 15;
  localparam int unsigned RIW = broker_regmap_pkg::RW_INDEX_W;
  localparam logic [1:0] RESP_OKAY = 2'b00;
  localparam logic [1:0] RESP_SLVERR = 2'b10;

  if (NUM_OUT != broker_regmap_pkg::OUT_PORTS) begin : g_bad_num_out
    $error("broker_csr: NUM_OUT differs from the register map's out_ports");
  end
  if (NUM_IN != broker_regmap_pkg::IN_PORTS) begin : g_bad_num_in
    $error("broker_csr: NUM_IN differs from the register map's in_ports");
  end
  // ENC_HDR0 .. ENC_HDR18: one word after the other (the encap's 76 header bytes).
  localparam int unsigned ENC_HDR_WORDS = 19;
  localparam logic [31:0] ENC_HDR0_OFF = broker_regmap_pkg::ENC_HDR0 - broker_regmap_pkg::EGRESS_TUNNEL_BASE;
  if (broker_regmap_pkg::ENC_HDR18 - broker_regmap_pkg::ENC_HDR0 != 4 * (ENC_HDR_WORDS - 1) ||
      broker_regmap_pkg::EGRESS_TUNNEL_COUNT != NUM_OUT) begin : g_bad_enc
    $error("broker_csr: the egress_tunnel block is not 19 consecutive ENC_HDR words per egress port");
  end

  typedef enum logic [3:0] {
    S_INIT,       // reset sweep: shadow word init_idx
    S_INIT_FWD,   // reset sweep: forward a non-zero reset value
    S_IDLE,
    S_WDEC,       // decode a write (shadow read issued for rw)
    S_WMERGE,     // merge WSTRB into the shadow word
    S_WFWD,       // csr_wr to the core (then the shadow and settings take the word)
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
  logic [TW-1:0]  wait_q;         // clocks this access has waited on the core
  logic           timed_out;
  logic [3:0]     stale_q;        // counter answers owed to reads that timed out
  logic [31:0]    shell_hi_q;     // HI word latched by a LO read of a shell counter
  logic [63:0]    csr_timeouts_q;

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
  // An owed answer is taken (and discarded) in any state.
  assign ctr_rsp_tready = (state == S_CRSP) || (stale_q != 4'd0);
  assign timed_out      = (wait_q == TW'(TIMEOUT));

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
  logic        a_mapped, a_rw, a_wo1, a_counter, a_shell_counter, a_shell_lo;
  logic [63:0] shell_value;
  logic [31:0] wmask, merged, local_rdata;
  logic [broker_regmap_pkg::EGRESS_INDEX_W-1:0]      a_port;
  logic [broker_regmap_pkg::EGRESS_PEAK_INDEX_W-1:0] a_peak_port;
  logic [broker_regmap_pkg::EGRESS_SCALE_INDEX_W-1:0] a_scale_port;

  assign a_mapped    = broker_regmap_pkg::reg_mapped(addr_q);
  assign a_rw        = broker_regmap_pkg::reg_is_rw(addr_q);
  assign a_wo1       = broker_regmap_pkg::reg_is_wo1(addr_q);
  assign a_counter   = broker_regmap_pkg::reg_is_core_counter(addr_q);
  assign a_shell_counter = broker_regmap_pkg::reg_is_shell_counter(addr_q);
  assign a_shell_lo  = broker_regmap_pkg::is_tx_drops_lo(addr_q) || broker_regmap_pkg::is_rx_drops_lo(addr_q) ||
                       broker_regmap_pkg::is_csr_timeouts_lo(addr_q) || broker_regmap_pkg::is_link_downs_lo(addr_q);
  assign a_port      = broker_regmap_pkg::egress_index(addr_q);
  assign a_peak_port = broker_regmap_pkg::egress_peak_index(addr_q);
  assign a_scale_port = broker_regmap_pkg::egress_scale_index(addr_q);
  // Tunnel origination: which port, which staged word (ENC_HDRk: k).
  logic [broker_regmap_pkg::EGRESS_TUNNEL_INDEX_W-1:0] a_enc_port;
  logic        a_enc_hdr;
  logic [31:0] a_enc_off, a_enc_k;
  assign a_enc_port = broker_regmap_pkg::egress_tunnel_index(addr_q);
  assign a_enc_off  = (addr_q - broker_regmap_pkg::EGRESS_TUNNEL_BASE) & (broker_regmap_pkg::EGRESS_TUNNEL_STRIDE - 1);
  assign a_enc_k    = (a_enc_off - ENC_HDR0_OFF) >> 2;
  assign a_enc_hdr  = a_rw && addr_q >= broker_regmap_pkg::ENC_HDR0 &&
                      addr_q < broker_regmap_pkg::EGRESS_TUNNEL_BASE +
                               broker_regmap_pkg::EGRESS_TUNNEL_COUNT * broker_regmap_pkg::EGRESS_TUNNEL_STRIDE &&
                      a_enc_off >= ENC_HDR0_OFF && a_enc_k < ENC_HDR_WORDS;
  assign wmask  = {{8{wstrb_q[3]}}, {8{wstrb_q[2]}}, {8{wstrb_q[1]}}, {8{wstrb_q[0]}}};
  assign merged = (ram_q & ~wmask) | (wdata_q & wmask);

  always_comb begin
    local_rdata = broker_regmap_pkg::reg_ro_reset(addr_q);
    if (broker_regmap_pkg::is_now_us(addr_q)) local_rdata = now_us_i;
    if (broker_regmap_pkg::is_link_status(addr_q)) local_rdata = 32'(link_status_i);
    if (broker_regmap_pkg::is_out_status(addr_q)) begin
      local_rdata = 32'd0;
      local_rdata[broker_regmap_pkg::OUT_STATUS_EMPTY_LSB] = out_empty_i[a_port];
    end
    if (broker_regmap_pkg::is_out_util_bp(addr_q))
      local_rdata = {16'd0, util_bp_i[a_port*16 +: 16]};
    if (broker_regmap_pkg::is_out_util_peak_bp(addr_q))
      local_rdata = {16'd0, peak_bp_i[a_peak_port*16 +: 16]};
    if (broker_regmap_pkg::is_caps3(addr_q)) begin
      local_rdata[broker_regmap_pkg::CAPS3_TX_WIRED_LSB +: 8] = 8'(TX_WIRED);
      local_rdata[broker_regmap_pkg::CAPS3_RX_WIRED_LSB +: 8] = 8'(RX_WIRED);
    end
    if (a_wo1) local_rdata = 32'd0;
  end

  // The 64-bit shell counter whose LO word is addr_q (0 for anything else).
  always_comb begin
    shell_value = 64'd0;
    if (broker_regmap_pkg::is_tx_drops_lo(addr_q))
      shell_value = tx_drops_i[broker_regmap_pkg::tx_drop_counters_index(addr_q)*64 +: 64];
    if (broker_regmap_pkg::is_rx_drops_lo(addr_q))
      shell_value = rx_drops_i[broker_regmap_pkg::rx_drop_counters_index(addr_q)*64 +: 64];
    if (broker_regmap_pkg::is_csr_timeouts_lo(addr_q)) shell_value = csr_timeouts_q;
    if (broker_regmap_pkg::is_link_downs_lo(addr_q))
      shell_value = link_downs_i[broker_regmap_pkg::link_down_counters_index(addr_q)*64 +: 64];
  end

  always_comb begin
    ram_we    = 1'b0;
    ram_wdata = data_q;
    ram_addr  = broker_regmap_pkg::reg_rw_index(addr_q);
    if (state == S_INIT) begin
      ram_we    = 1'b1;
      ram_addr  = init_idx;
      ram_wdata = broker_regmap_pkg::rw_index_reset(init_idx);
    end else if (state == S_WFWD && csr_wr_tready && !timed_out && a_rw) begin
      ram_we = 1'b1;   // the core took the word: the shadow follows
    end
  end

  // ---- tunnel origination: staged and active copies ----------------------------------------
  // A write the core took (as the shadow's): ENC_SLICE/CSUM/HDRn into the staged copy of its
  // port; ENC_CTRL commits the staged copy and itself.
  logic enc_take;
  assign enc_take = (state == S_WFWD) && csr_wr_tready;
  for (genvar p = 0; p < NUM_OUT; p++) begin : g_enc
   if (p >= TX_WIRED) begin : g_unwired
    assign enc_ctrl_o[p*32 +: 32]  = '0;
    assign enc_slice_o[p*32 +: 32] = '0;
    assign enc_csum_o[p*32 +: 32]  = '0;
    assign enc_hdr_o[p*ENC_HDR_WORDS*32 +: ENC_HDR_WORDS*32] = '0;
   end else begin : g_wired
    logic [31:0] st_slice, st_csum, ctrl_q, slice_q, csum_q;   // staged; active
    logic [ENC_HDR_WORDS*32-1:0] st_hdr, hdr_q;
    logic this_port;
    assign this_port = enc_take && a_enc_port == broker_regmap_pkg::EGRESS_TUNNEL_INDEX_W'(p);
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        st_slice <= broker_regmap_pkg::ENC_SLICE_RESET & broker_regmap_pkg::ENC_SLICE_MASK;
        st_csum  <= broker_regmap_pkg::ENC_CSUM_RESET & broker_regmap_pkg::ENC_CSUM_MASK;
        ctrl_q   <= broker_regmap_pkg::ENC_CTRL_RESET & broker_regmap_pkg::ENC_CTRL_MASK;
        slice_q  <= broker_regmap_pkg::ENC_SLICE_RESET & broker_regmap_pkg::ENC_SLICE_MASK;
        csum_q   <= broker_regmap_pkg::ENC_CSUM_RESET & broker_regmap_pkg::ENC_CSUM_MASK;
        st_hdr   <= {ENC_HDR_WORDS{broker_regmap_pkg::ENC_HDR0_RESET}};
        hdr_q    <= {ENC_HDR_WORDS{broker_regmap_pkg::ENC_HDR0_RESET}};
      end else if (this_port) begin
        if (broker_regmap_pkg::is_enc_slice(addr_q)) st_slice <= data_q & broker_regmap_pkg::ENC_SLICE_MASK;
        if (broker_regmap_pkg::is_enc_csum(addr_q)) st_csum <= data_q & broker_regmap_pkg::ENC_CSUM_MASK;
        for (int k = 0; k < ENC_HDR_WORDS; k++)
          if (a_enc_hdr && a_enc_k == 32'(k)) st_hdr[k*32 +: 32] <= data_q;
        if (broker_regmap_pkg::is_enc_ctrl(addr_q)) begin
          ctrl_q  <= data_q & broker_regmap_pkg::ENC_CTRL_MASK;
          slice_q <= st_slice;
          csum_q  <= st_csum;
          hdr_q   <= st_hdr;
        end
      end
    end
    assign enc_ctrl_o[p*32 +: 32]  = ctrl_q;
    assign enc_slice_o[p*32 +: 32] = slice_q;
    assign enc_csum_o[p*32 +: 32]  = csum_q;
    assign enc_hdr_o[p*ENC_HDR_WORDS*32 +: ENC_HDR_WORDS*32] = hdr_q;
   end
  end

  // ---- the transaction ---------------------------------------------------------------
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state            <= S_INIT;
      init_idx         <= '0;
      prefer_read      <= 1'b0;
      aw_full          <= 1'b0;
      w_full           <= 1'b0;
      resp_q           <= RESP_OKAY;
      clear_counters_o <= 1'b0;
      wait_q           <= '0;
      stale_q          <= '0;
      shell_hi_q       <= '0;
      csr_timeouts_q   <= '0;
      window_us_o      <= broker_regmap_pkg::UTIL_WINDOW_US_RESET;
      link_admin_down_o <= NUM_OUT'(broker_regmap_pkg::LINK_ADMIN_DOWN_RESET);
      clk_hz_o         <= broker_regmap_pkg::KERNEL_CLK_HZ_RESET;
      for (int p = 0; p < NUM_OUT; p++) begin
        scale_o[p*32 +: 32] <= broker_regmap_pkg::OUT_UTIL_SCALE_RESET;
        shift_o[p*7 +: 7]   <= 7'(broker_regmap_pkg::OUT_UTIL_SHIFT_RESET);
      end
    end else begin
      clear_counters_o <= 1'b0;
      // The core's wait counter runs while an access waits on it, and only then.
      wait_q <= (state == S_WFWD || state == S_INIT_FWD || state == S_CREQ || state == S_CRSP)
                ? wait_q + 1'b1 : '0;
      if (ctr_rsp_tvalid && stale_q != 4'd0) stale_q <= stale_q - 1'b1;
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
          if (csr_wr_tready || timed_out) begin
            if (!csr_wr_tready) csr_timeouts_q <= csr_timeouts_q + 1'b1;
            state <= (init_idx == RIW'(RW_COUNT)) ? S_IDLE : S_INIT;
          end
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
          if (!a_mapped) state <= S_BRESP;
          else if (a_rw) state <= S_WMERGE;
          else if (a_wo1) state <= S_WFWD;
          else state <= S_BRESP;   // read-only: ignored
        end
        S_WMERGE: begin
          data_q <= merged;
          state  <= S_WFWD;
        end
        S_WFWD: begin
          if (csr_wr_tready) begin
            // Taken by the core: the shell's copies follow (the shadow RAM: ram_we).
            if (broker_regmap_pkg::is_util_window_us(addr_q)) window_us_o <= data_q;
            if (broker_regmap_pkg::is_kernel_clk_hz(addr_q)) clk_hz_o <= data_q;
            if (broker_regmap_pkg::is_link_admin_down(addr_q)) link_admin_down_o <= data_q[NUM_OUT-1:0];
            if (broker_regmap_pkg::is_out_util_scale(addr_q)) scale_o[a_scale_port*32 +: 32] <= data_q;
            if (broker_regmap_pkg::is_out_util_shift(addr_q)) shift_o[a_scale_port*7 +: 7] <= data_q[6:0];
            if (broker_regmap_pkg::is_command(addr_q) &&
                (data_q & broker_regmap_pkg::COMMAND_CLEAR_COUNTERS_MASK) != 32'd0) begin
              clear_counters_o <= 1'b1;
              csr_timeouts_q   <= '0;
            end
            state <= S_BRESP;
          end else if (timed_out) begin
            resp_q         <= RESP_SLVERR;
            csr_timeouts_q <= csr_timeouts_q + 1'b1;
            state          <= S_BRESP;
          end
        end
        S_BRESP: begin
          if (s_axil_bready) state <= S_IDLE;
        end
        S_RDEC: begin
          resp_q <= a_mapped ? RESP_OKAY : RESP_SLVERR;
          data_q <= a_mapped ? local_rdata : 32'd0;
          if (!a_mapped) begin
            state <= S_RRESP;
          end else if (a_shell_counter) begin
            // A LO word latches its HI word; a HI word reads the latch.
            if (a_shell_lo) begin
              data_q     <= shell_value[31:0];
              shell_hi_q <= shell_value[63:32];
            end else begin
              data_q <= shell_hi_q;
            end
            state <= S_RRESP;
          end else if (a_counter) begin
            if (stale_q == 4'(MAX_STALE)) begin
              resp_q <= RESP_SLVERR;
              data_q <= 32'd0;
              state  <= S_RRESP;
            end else begin
              state <= S_CREQ;
            end
          end else if (a_rw) begin
            state <= S_RRAM;
          end else begin
            state <= S_RRESP;
          end
        end
        S_RRAM: begin
          data_q <= ram_q;
          state  <= S_RRESP;
        end
        S_CREQ: begin
          if (ctr_req_tready) begin
            state <= S_CRSP;
          end else if (timed_out) begin
            resp_q         <= RESP_SLVERR;
            csr_timeouts_q <= csr_timeouts_q + 1'b1;
            state          <= S_RRESP;
          end
        end
        S_CRSP: begin
          if (ctr_rsp_tvalid && stale_q == 4'd0) begin
            data_q <= ctr_rsp_tdata;
            state  <= S_RRESP;
          end else if (timed_out) begin
            // The answer is owed: discard it when it comes.
            resp_q         <= RESP_SLVERR;
            data_q         <= 32'd0;
            csr_timeouts_q <= csr_timeouts_q + 1'b1;
            stale_q        <= stale_q + 1'b1 - ((ctr_rsp_tvalid && stale_q != 4'd0) ? 4'd1 : 4'd0);
            state          <= S_RRESP;
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
