// Round-robin, frame-atomic arbiter of NUM_IN AXI4-Streams into one: a lane's ingress FIFOs
// into that lane's rx stream, and a tool port's two lane queues into its output; TID carries
// the index of the input.
//
// Between frames the grant is chosen combinationally among the ports offering a beat,
// starting after the port that sent the last frame; once a frame's first beat is taken the
// grant stays with that port until its TLAST beat. So a port sending back-to-back frames
// keeps one beat per clock, and moving to another port costs no idle clock.
//
// The output goes through a full-throughput register slice (skid buffer): the wide
// NUM_IN-to-1 data multiplexer ends in registers, and the ingress TREADYs come from a
// register, not from the core's TREADY.
//
// Inputs are flat vectors, port i in [i*W +: W] (yosys 0.23 takes no packed 2-D ports).
module ingress_arbiter #(
  parameter int unsigned NUM_IN = 8,
  parameter int unsigned DATA_W = 512,
  parameter int unsigned KEEP_W = DATA_W / 8,
  parameter int unsigned ID_W   = 8
) (
  input  logic                     clk,
  input  logic                     rst_n,
  input  logic [NUM_IN*DATA_W-1:0] s_tdata,
  input  logic [NUM_IN*KEEP_W-1:0] s_tkeep,
  input  logic [NUM_IN-1:0]        s_tlast,
  input  logic [NUM_IN-1:0]        s_tvalid,
  output logic [NUM_IN-1:0]        s_tready,
  output logic [DATA_W-1:0]        m_tdata,
  output logic [KEEP_W-1:0]        m_tkeep,
  output logic                     m_tlast,
  output logic [ID_W-1:0]          m_tid,
  output logic                     m_tvalid,
  input  logic                     m_tready
);
  localparam int unsigned IW = (NUM_IN > 1) ? $clog2(NUM_IN) : 1;
  localparam int unsigned W = DATA_W + KEEP_W + 1 + ID_W;

  if (NUM_IN < 1 || NUM_IN > (1 << ID_W)) begin : g_bad_num_in
    $error("ingress_arbiter: NUM_IN must be 1 .. 2^ID_W");
  end

  // ---- grant -------------------------------------------------------------------------
  logic          locked;        // inside a frame of port lock_idx
  logic [IW-1:0] lock_idx;
  logic [IW-1:0] rr_ptr;        // first port to consider between frames
  logic [IW-1:0] sel;
  logic          sel_valid;
  logic          in_ready;      // the register slice takes a beat this clock
  logic          fire;

  always_comb begin
    logic [IW:0] idx;
    logic        found;
    idx   = '0;
    sel   = lock_idx;
    found = 1'b0;
    if (!locked) begin
      sel = rr_ptr;
      for (int k = 0; k < NUM_IN; k++) begin
        idx = {1'b0, rr_ptr} + (IW + 1)'(k);
        if (idx >= (IW + 1)'(NUM_IN)) idx = idx - (IW + 1)'(NUM_IN);
        if (!found && s_tvalid[idx[IW-1:0]]) begin
          found = 1'b1;
          sel   = idx[IW-1:0];
        end
      end
    end
    sel_valid = s_tvalid[sel];
  end

  assign fire = sel_valid && in_ready;

  always_comb begin
    s_tready = '0;
    s_tready[sel] = in_ready;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      locked   <= 1'b0;
      lock_idx <= '0;
      rr_ptr   <= '0;
    end else if (fire) begin
      if (s_tlast[sel]) begin
        locked <= 1'b0;
        rr_ptr <= (sel == IW'(NUM_IN - 1)) ? '0 : sel + 1'b1;
      end else begin
        locked   <= 1'b1;
        lock_idx <= sel;
      end
    end
  end

  // ---- register slice ----------------------------------------------------------------
  logic [W-1:0] in_beat, out_beat, tmp_beat;
  logic         out_valid, tmp_valid;
  logic         ready_early;

  // A plain multiplexer (an indexed part-select of the flat bus synthesizes as a shifter).
  always_comb begin
    in_beat = '0;
    for (int i = 0; i < NUM_IN; i++) begin
      if (sel == IW'(i)) begin
        in_beat = {s_tlast[i], ID_W'(i), s_tkeep[i*KEEP_W +: KEEP_W], s_tdata[i*DATA_W +: DATA_W]};
      end
    end
  end
  assign ready_early = m_tready || (!tmp_valid && (!out_valid || !sel_valid));

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      in_ready  <= 1'b0;
      out_valid <= 1'b0;
      tmp_valid <= 1'b0;
    end else begin
      in_ready <= ready_early;
      if (in_ready) begin
        if (m_tready || !out_valid) out_valid <= sel_valid;
        else tmp_valid <= sel_valid;
      end else if (m_tready) begin
        out_valid <= tmp_valid;
        tmp_valid <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (in_ready) begin
      if (m_tready || !out_valid) out_beat <= in_beat;
      else tmp_beat <= in_beat;
    end else if (m_tready) begin
      out_beat <= tmp_beat;
    end
  end

  assign {m_tlast, m_tid, m_tkeep, m_tdata} = out_beat;
  assign m_tvalid = out_valid;
endmodule
