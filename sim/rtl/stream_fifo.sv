// A FIFO between two tasks of the co-simulated core (sim/): DEPTH words of WIDTH bits, with
// valid/ready on both sides. Like the FIFOs Vitis HLS builds between dataflow processes:
//   - a word written on a clock edge is offered from the next clock on (one clock from write to
//     read; no combinational path from the input to the output);
//   - in_ready is "not full", a register: it does not look at out_ready, so a full FIFO takes
//     a word only on the clock after one left (two places carry one word per clock).
// Synthesizable; the contents are not reset (only the pointers are), as in a RAM FIFO.
module stream_fifo #(
  parameter int unsigned WIDTH = 1,
  parameter int unsigned DEPTH = 2
) (
  input  logic             clk,
  input  logic             rst_n,
  input  logic [WIDTH-1:0] in_data,
  input  logic             in_valid,
  output logic             in_ready,
  output logic [WIDTH-1:0] out_data,
  output logic             out_valid,
  input  logic             out_ready
);
  localparam int unsigned AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam int unsigned CW = $clog2(DEPTH + 1);
  localparam logic [AW-1:0] LAST = AW'(DEPTH - 1);

  if (DEPTH < 1) begin : g_bad_depth
    $error("stream_fifo: DEPTH must be at least 1");
  end

  logic [WIDTH-1:0] mem [DEPTH];
  logic [AW-1:0]    rd, wr;
  logic [CW-1:0]    count;
  logic             push, pop;

  assign in_ready  = (count != CW'(DEPTH));
  assign out_valid = (count != '0);
  assign out_data  = mem[rd];
  assign push = in_valid & in_ready;
  assign pop  = out_valid & out_ready;

  always_ff @(posedge clk) begin
    if (push) mem[wr] <= in_data;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rd    <= '0;
      wr    <= '0;
      count <= '0;
    end else begin
      if (push) wr <= (wr == LAST) ? '0 : wr + 1'b1;
      if (pop)  rd <= (rd == LAST) ? '0 : rd + 1'b1;
      if (push && !pop)      count <= count + 1'b1;
      else if (pop && !push) count <= count - 1'b1;
    end
  end
endmodule
