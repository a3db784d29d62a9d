// TX utilization meter of one egress port: the fabric twin of sw/cards/soft/tx_meter.cpp.
//
// Figures (identical to the software meter for the same frames and window boundaries):
//   wire bytes of a frame = its bytes (TKEEP popcount over its accepted beats) + 20
//   (preamble + inter-frame gap); a frame counts in the window in which its TLAST beat is
//   accepted (the software records a frame at its timestamp, atomically);
//   bp   = min(bits * 10000 / (speed_mbps * window_us), 0xFFFF), bits = 8 * wire bytes,
//          speed and window taken as at least 1, as the software does;
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
// bp is computed in WINDOW_LATENCY clocks after the window closes (a serial 32x32 multiply
// for speed*window, then a 16-step restoring division), so a window must be longer than
// that: one microsecond is >= 64 clocks for any fabric clock >= 64 MHz. No DSP, no wide
// comparator beyond 65 bits.
module tx_meter #(
  parameter int unsigned KEEP_W = 64
) (
  input  logic        clk,
  input  logic        rst_n,
  // settings (register file of the CSR block)
  input  logic [31:0] window_us_i,   // UTIL_WINDOW_US
  input  logic [31:0] speed_mbps_i,  // OUT_SPEED_MBPS of this port
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
  logic [31:0] window_eff, speed_eff;
  assign window_eff = (window_us_i == 32'd0) ? 32'd1 : window_us_i;
  assign speed_eff  = (speed_mbps_i == 32'd0) ? 32'd1 : speed_mbps_i;

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

  logic               calc_go;      // start a division for the window that just closed
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

  // ---- bp = bytes * 80000 / (speed * window), saturated -----------------------------
  // 80000 = 8 bits/byte * 10000 bp = 2^16 + 2^13 + 2^12 + 2^11 + 2^7
  localparam int unsigned NUM_W = BYTES_W + 17;   // 65 bits
  typedef enum logic [1:0] {C_IDLE, C_MUL, C_DIV, C_DONE} calc_t;
  calc_t              cstate;
  logic [5:0]         step;
  logic [63:0]        mcand;       // speed, shifted left
  logic [31:0]        mplier;      // window, shifted right
  logic [63:0]        den;         // speed * window
  logic [NUM_W-1:0]   num;         // bytes * 80000; its low 16 bits shift into rem
  logic [63:0]        rem;
  logic [15:0]        quo;
  logic               sat;
  logic [NUM_W-1:0]   num_of_bytes;
  logic [64:0]        trial;

  assign num_of_bytes = ({17'd0, calc_bytes} << 16) + ({17'd0, calc_bytes} << 13)
                      + ({17'd0, calc_bytes} << 12) + ({17'd0, calc_bytes} << 11)
                      + ({17'd0, calc_bytes} << 7);
  assign trial = {rem, num[15]};

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      cstate    <= C_IDLE;
      util_bp_o <= 16'd0;
      peak_bp_o <= 16'd0;
      update_o  <= 1'b0;
    end else begin
      update_o <= 1'b0;
      if (clear_peak_i) peak_bp_o <= 16'd0;
      case (cstate)
        C_IDLE: ;
        C_MUL: begin
          if (mplier[0]) den <= den + mcand;
          mcand  <= mcand << 1;
          mplier <= mplier >> 1;
          step   <= step + 6'd1;
          if (step == 6'd31) begin
            cstate <= C_DIV;
            step   <= 6'd0;
          end
        end
        C_DIV: begin
          if (step == 6'd0) begin
            // q >= 2^16 exactly when floor(num / 2^16) >= den; otherwise num/2^16 < den
            // is the first partial remainder.
            sat <= ({15'd0, num[NUM_W-1:16]} >= den);
            rem <= {15'd0, num[NUM_W-1:16]};
          end else begin
            if (trial >= {1'b0, den}) begin
              rem <= 64'(trial - {1'b0, den});
              quo <= {quo[14:0], 1'b1};
            end else begin
              rem <= trial[63:0];
              quo <= {quo[14:0], 1'b0};
            end
            num <= num << 1;
          end
          step <= step + 6'd1;
          if (step == 6'd16) cstate <= C_DONE;
        end
        C_DONE: begin
          util_bp_o <= sat ? 16'hFFFF : quo;
          if (!clear_peak_i && (sat ? 16'hFFFF : quo) > peak_bp_o) peak_bp_o <= sat ? 16'hFFFF : quo;
          update_o <= 1'b1;
          cstate   <= C_IDLE;
        end
        default: cstate <= C_IDLE;
      endcase
      // A new window result always restarts the computation (only possible with a window
      // shorter than the latency, see above).
      if (calc_go) begin
        cstate <= C_MUL;
        step   <= 6'd0;
        den    <= 64'd0;
        mcand  <= {32'd0, speed_eff};
        mplier <= window_q;
        num    <= num_of_bytes;
        quo    <= 16'd0;
      end
    end
  end
endmodule
