// Microsecond time base from the fabric clock.
//
// A fractional accumulator adds 1 000 000 every clock and wraps at the clock frequency hz, so
// any clock (322.265625 MHz included) is exact on average: after n clocks
//     now_us * hz + frac = n * 1 000 000
// exactly. hz is clk_hz_i (KERNEL_CLK_HZ, the clock the platform really runs the kernel at,
// written by the driver), or the CLK_HZ parameter (the clock the bitstream was built for) while
// clk_hz_i is 0; at least 1 MHz, so the accumulator wraps at most once per clock. A change of
// hz takes effect at once; the microsecond in progress is settled within a few clocks. now_us is the free-running 64-bit microsecond counter: the core's flow-ageing
// clock, which must never wrap (NOW_US reads its low word); frac is the position inside the current microsecond in units of
// 1/CLK_HZ us, which the TX meters use to place window boundaries to the clock cycle.
// tick pulses for one clock on the cycle now_us advances.
//
// Written in the SystemVerilog subset that both Verilator and yosys 0.23 accept.
module us_tick #(
  parameter int unsigned CLK_HZ = 322265625
) (
  input  logic        clk,
  input  logic        rst_n,
  input  logic [31:0] clk_hz_i,
  output logic        tick,
  output logic [63:0] now_us,   // 64 bits: the core ages flows on it and it must never wrap
  output logic [31:0] frac
);
  localparam logic [32:0] STEP = 33'd1000000;

  // At most one microsecond per clock: the accumulator may wrap only once per step.
  if (CLK_HZ < 1000000) begin : g_bad_clk
    $error("us_tick: CLK_HZ must be at least 1 MHz");
  end

  logic [32:0] hz;
  always_ff @(posedge clk) begin
    if (!rst_n || clk_hz_i == 32'd0) hz <= 33'(CLK_HZ);
    else if (clk_hz_i < 32'd1000000) hz <= STEP;
    else hz <= {1'b0, clk_hz_i};
  end

  logic [32:0] sum;
  logic        wrap;
  assign sum  = {1'b0, frac} + STEP;
  assign wrap = (sum >= hz);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      frac   <= 32'd0;
      now_us <= 64'd0;
      tick   <= 1'b0;
    end else begin
      tick <= wrap;
      if (wrap) begin
        frac   <= 32'(sum - hz);
        now_us <= now_us + 64'd1;
      end else begin
        frac <= sum[31:0];
      end
    end
  end
endmodule
