// TX utilization meter of one egress port: the fabric twin of sw/cards/soft/tx_meter.cpp.
//
// Figures (identical to the software meter for the same frames and window boundaries):
//   wire bytes of a frame = its bytes (TKEEP popcount over its accepted beats) + 20
//   (preamble + inter-frame gap); a frame counts in the window in which its TLAST beat is
//   accepted (the software records a frame at its timestamp, atomically);
//   bp   = min((wire bytes * scale) >> shift, 0xFFFF), where scale / 2^shift is
//          80000 / (speed_mbps * window_us) rounded up, computed by the driver
//          (sw/driver/util_scale.h: OUT_UTIL_SCALE, OUT_UTIL_SHIFT), within 1 bp of the exact
//          floor(bits * 10000 / (speed * window));
//   util = bp of the last complete window (an idle window reads 0);
//   peak = highest bp since clear_peak (COMMAND.CLEAR_COUNTERS).
//
// Windows: the first window starts at the clock on which start_i is first seen after reset
// or after window_us changed (broker_top drives start_i with "a beat was accepted on any TX
// port", so every port's windows share one alignment, like the software's single clock);
// each window lasts exactly window_us microseconds, measured to the clock cycle on the
// (now_us, now_frac) time base of us_tick, and the next starts where it ended. A frame whose
// TLAST lands exactly on a boundary counts in the new window (the software closes windows
// before recording). Closing is eager: idle windows close on time and read 0, where the
// software closes them lazily at its next packet; a reader sees the same values either way.
//
// Residual differences from the software meter, by design of the shell:
//   - time is the TLAST beat's acceptance on the TX port, not the frame's ingress
//     timestamp; the software clock starts at the first ingress frame (even a dropped one),
//     the RTL at the first TX beat;
//   - changing window_us discards the window in progress and realigns to the next beat
//     (the software keeps the old boundary and applies the new length from there).
//
// bp is ready 3 clocks after the window closes: one 48 x 32 multiply (DSP blocks), registered,
// then the shift and the saturation, registered. No divider. A window is at least a
// microsecond, 64 clocks at any clock the shell accepts (>= 64 MHz).
module tx_meter #(
  parameter int unsigned KEEP_W = 64
) (
  input  logic        clk,
  input  logic        rst_n,
  // settings (register file of the CSR block)
  input  logic [31:0] window_us_i,   // UTIL_WINDOW_US
  input  logic [31:0] scale_i,       // OUT_UTIL_SCALE of this port
  input  logic [6:0]  shift_i,       // OUT_UTIL_SHIFT of this port
  input  logic        clear_peak_i,  // COMMAND.CLEAR_COUNTERS written
  // time base (us_tick): microseconds modulo 2^32, the low word of the 64-bit count. Enough:
  // window ends are computed modulo 2^32 too and only ever compared for equality with it, so
  // the wrap (every 71.6 minutes) is harmless for any window shorter than 2^32 - 1 us.
  input  logic [31:0] now_us_i,
  input  logic [31:0] now_frac_i,
  // first-window alignment: a beat accepted on any port
  input  logic        start_i,
  // the port's accepted beats (TVALID && TREADY)
  input  logic              beat_i,
  input  logic [KEEP_W-1:0] keep_i,
  input  logic              last_i,
  // figures
  output logic [15:0] util_bp_o,
  output logic [15:0] peak_bp_o,
  output logic        update_o       // one clock when util_bp_o/peak_bp_o were updated
);
  localparam int unsigned WIRE_OVERHEAD = 20;
  localparam int unsigned POP_W = $clog2(KEEP_W + 1);
  localparam int unsigned BYTES_W = 48;   // wire bytes per window: hours of 100 GbE
  localparam int unsigned FRAME_W = 32;   // bytes of the frame in progress

  // ---- settings, never 0 ------------------------------------------------------------
  logic [31:0] window_eff;
  assign window_eff = (window_us_i == 32'd0) ? 32'd1 : window_us_i;

  // ---- bytes -------------------------------------------------------------------------
  logic [POP_W-1:0] pop;
  always_comb begin
    pop = '0;
    for (int i = 0; i < KEEP_W; i++) pop = pop + {{(POP_W - 1){1'b0}}, keep_i[i]};
  end

  logic [FRAME_W-1:0] frame_bytes;                 // accepted bytes of the open frame
  logic [FRAME_W-1:0] frame_total;                 // ... including this beat
  logic [BYTES_W-1:0] frame_add;                   // wire bytes completed this clock
  assign frame_total = frame_bytes + {{(FRAME_W - POP_W){1'b0}}, pop};
  assign frame_add = (beat_i && last_i)
      ? {{(BYTES_W - FRAME_W){1'b0}}, frame_total} + BYTES_W'(WIRE_OVERHEAD) : '0;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      frame_bytes <= '0;
    end else if (beat_i) begin
      frame_bytes <= last_i ? '0 : frame_total;
    end
  end

  // ---- windows -----------------------------------------------------------------------
  logic [31:0] window_q;    // the length the windows in progress were started with
  logic        started;
  logic [31:0] end_us;      // the window in progress ends at (end_us, end_frac)
  logic [31:0] end_frac;
  logic [BYTES_W-1:0] win_bytes;
  logic [BYTES_W-1:0] win_sum;
  logic        restart, close;

  assign restart = (window_eff != window_q);
  // Time advances by less than a microsecond per clock, so the first clock at or past the
  // boundary is either in the boundary's microsecond or in the next one.
  assign close = started && !restart &&
                 (((now_us_i == end_us) && (now_frac_i >= end_frac)) ||
                  (now_us_i == end_us + 32'd1));
  assign win_sum = (win_bytes + frame_add < win_bytes) ? '1 : win_bytes + frame_add;

  logic               calc_go;      // compute bp for the window that just closed
  logic [BYTES_W-1:0] calc_bytes;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      window_q  <= 32'd0;   // never a window length: the first clock restarts, harmlessly
      started   <= 1'b0;
      end_us    <= 32'd0;
      end_frac  <= 32'd0;
      win_bytes <= '0;
      calc_go   <= 1'b0;
    end else begin
      calc_go  <= 1'b0;
      window_q <= window_eff;
      if (restart) begin
        started   <= 1'b0;
        win_bytes <= frame_add;
      end else if (close) begin
        end_us     <= end_us + window_q;
        win_bytes  <= frame_add;
        calc_go    <= 1'b1;
      end else begin
        if (!started && start_i) begin
          started  <= 1'b1;
          end_us   <= now_us_i + window_q;
          end_frac <= now_frac_i;
        end
        win_bytes <= win_sum;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (close) calc_bytes <= win_bytes;
  end

  // ---- bp = min((bytes * scale) >> shift, 0xFFFF) --------------------------------------
  logic                      prod_go, shift_go;
  logic [BYTES_W+32-1:0]     prod;        // 80 bits
  logic [6:0]                shift_q;
  logic [BYTES_W+32-1:0]     shifted;
  logic [15:0]               bp;

  assign shifted = prod >> shift_q;
  assign bp = (shifted > (BYTES_W + 32)'(16'hFFFF)) ? 16'hFFFF : shifted[15:0];

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      prod_go   <= 1'b0;
      shift_go  <= 1'b0;
      util_bp_o <= 16'd0;
      peak_bp_o <= 16'd0;
      update_o  <= 1'b0;
    end else begin
      prod_go  <= calc_go;
      shift_go <= prod_go;
      update_o <= 1'b0;
      if (clear_peak_i) peak_bp_o <= 16'd0;
      if (shift_go) begin
        util_bp_o <= bp;
        if (!clear_peak_i && bp > peak_bp_o) peak_bp_o <= bp;
        update_o <= 1'b1;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (calc_go) begin
      prod    <= {32'd0, calc_bytes} * {{BYTES_W{1'b0}}, scale_i};
      shift_q <= shift_i;
    end
  end
endmodule
