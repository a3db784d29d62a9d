// Packet-mode FIFO: whole frames in, whole frames out, and it never holds its input back.
// The shell uses it twice: as each ingress port's FIFO (the CMAC side cannot be back-pressured)
// and as each tool port's egress queue (one slow tool port must not stall the core).
//
// A frame is written as it arrives and becomes visible to the reader only at its TLAST beat
// (store and forward). When a beat finds the memory full, the frame is dropped whole: the write
// pointer goes back to where the frame began, the rest of its beats are discarded, drop_o pulses
// once. So nothing truncated ever leaves, and a frame longer than DEPTH beats is always dropped.
// commit_o pulses when a frame is stored whole; per frame exactly one of commit_o and drop_o
// pulses, in frame order.
//
// flush_i (an egress queue whose port's link is down): every frame arriving is dropped whole
// (drop_o), and every stored frame not yet begun is discarded unsent at one beat per clock
// (discard_o at its last beat); a frame whose first beat has already left finishes, so the
// port never sends a truncated frame.
//
// flush_i may take m_tvalid away without a handshake (a frame not yet begun is discarded): m_*
// feed the shell's own arbiter, never an AXI4-Stream sink outside broker_top.
//
// Memory with a registered read (block RAM or UltraRAM) plus one output register: one beat per
// clock in and out, m_tvalid from registers gated by the flush, two clocks from a committed
// TLAST to m_tvalid.
module packet_fifo #(
  parameter int unsigned DATA_W = 512,
  parameter int unsigned KEEP_W = DATA_W / 8,
  parameter int unsigned DEPTH  = 512          // beats; a power of two
) (
  input  logic              clk,
  input  logic              rst_n,
  input  logic [DATA_W-1:0] s_tdata,
  input  logic [KEEP_W-1:0] s_tkeep,
  input  logic              s_tlast,
  input  logic              s_tvalid,
  output logic              s_tready,     // always 1: frames that do not fit are dropped
  output logic [DATA_W-1:0] m_tdata,
  output logic [KEEP_W-1:0] m_tkeep,
  output logic              m_tlast,
  output logic              m_tvalid,
  input  logic              m_tready,
  input  logic              flush_i,      // drop what arrives, discard what is stored
  output logic              commit_o,     // a frame was stored whole (one clock)
  output logic              drop_o,       // a frame was dropped whole (one clock)
  output logic              discard_o,    // a stored frame was discarded unsent (one clock)
  output logic              empty_o       // no beat held anywhere
);
  localparam int unsigned AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam int unsigned W = DATA_W + KEEP_W + 1;

  if ((1 << AW) != DEPTH || DEPTH < 2) begin : g_bad_depth
    $error("packet_fifo: DEPTH must be a power of two, at least 2");
  end

  logic [W-1:0] mem [0:DEPTH-1];
  logic [AW:0]  wr_ptr;       // next beat written (speculative within a frame)
  logic [AW:0]  frame_ptr;    // first beat of the frame being written = end of committed data
  logic [AW:0]  rd_ptr;       // next beat read from the memory
  logic         discard;      // dropping the rest of the current frame
  logic         full;
  logic         write, pop;
  logic [W-1:0] rd_q;
  logic         q_valid;      // the output register holds a beat
  logic         out_mid;      // a frame's first beat has left, its last has not
  logic         dump_mid;     // discarding a frame whose first beat was discarded
  logic         dumping;      // the output register's beat is discarded, not sent
  logic         take;         // the output register's beat goes (sent or discarded)

  assign s_tready = 1'b1;
  assign full  = (wr_ptr[AW-1:0] == rd_ptr[AW-1:0]) && (wr_ptr[AW] != rd_ptr[AW]);
  assign write = s_tvalid && !discard && !full && !flush_i;
  // A discarded frame is discarded to its end even if flush_i falls meanwhile.
  assign dumping  = (flush_i && !out_mid) || dump_mid;
  assign m_tvalid = q_valid && !dumping;
  assign take     = q_valid && (m_tready || dumping);
  // Only committed beats are read; refill the output register when it is free or being taken.
  assign pop   = (rd_ptr != frame_ptr) && (!q_valid || take);

  always_ff @(posedge clk) begin
    if (write) mem[wr_ptr[AW-1:0]] <= {s_tlast, s_tkeep, s_tdata};
    if (pop) rd_q <= mem[rd_ptr[AW-1:0]];
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      wr_ptr    <= '0;
      frame_ptr <= '0;
      rd_ptr    <= '0;
      discard   <= 1'b0;
      q_valid   <= 1'b0;
      out_mid   <= 1'b0;
      dump_mid  <= 1'b0;
      commit_o  <= 1'b0;
      drop_o    <= 1'b0;
      discard_o <= 1'b0;
    end else begin
      commit_o  <= 1'b0;
      drop_o    <= 1'b0;
      discard_o <= take && dumping && m_tlast;
      if (m_tvalid && m_tready) out_mid <= !m_tlast;
      if (take && dumping) dump_mid <= !m_tlast;
      if (s_tvalid) begin
        if (discard) begin
          if (s_tlast) discard <= 1'b0;
        end else if (full || flush_i) begin
          // No room for the rest of this frame (or flushing): forget what of it was written.
          wr_ptr  <= frame_ptr;
          drop_o  <= 1'b1;
          discard <= !s_tlast;
        end else begin
          wr_ptr <= wr_ptr + 1'b1;
          if (s_tlast) begin
            frame_ptr <= wr_ptr + 1'b1;
            commit_o  <= 1'b1;
          end
        end
      end
      if (pop) begin
        rd_ptr  <= rd_ptr + 1'b1;
        q_valid <= 1'b1;
      end else if (take) begin
        q_valid <= 1'b0;
      end
    end
  end

  assign {m_tlast, m_tkeep, m_tdata} = rd_q;
  assign empty_o = (wr_ptr == rd_ptr) && !q_valid;
endmodule
