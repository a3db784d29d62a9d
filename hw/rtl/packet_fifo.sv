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
//
// LEN_W > 0 (the egress queues, whose tool port's encap needs a frame's length before its first
// byte leaves): m_tlen is the length in bytes (the sum of its TKEEP bits) of the frame whose
// beat is at the output, with every beat of it; it saturates at 2^LEN_W - 1. A second, small
// FIFO of DEPTH lengths, written when a frame commits and read when that frame's first beat
// enters the output register (every committed frame's first beat does so exactly once, whether
// it is then sent or discarded), feeds a length register that moves with the output register.
// A frame's first beat still in the memory occupies a place of it, so DEPTH lengths always
// suffice. LEN_W = 0 (the ingress FIFOs): none of it is built and m_tlen is 0.
module packet_fifo #(
  parameter int unsigned DATA_W = 512,
  parameter int unsigned KEEP_W = DATA_W / 8,
  parameter int unsigned DEPTH  = 512,         // beats; a power of two
  parameter int unsigned LEN_W  = 0            // width of m_tlen; 0: no frame lengths
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
  // the length in bytes of the frame at the output (LEN_W > 0; else 0)
  output logic [(LEN_W > 0 ? LEN_W : 1)-1:0] m_tlen,
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

  // ---- frame lengths (LEN_W > 0) -----------------------------------------------------------
  if (LEN_W > 0) begin : g_len
    localparam logic [LEN_W-1:0] LEN_MAX = '1;
    logic [LEN_W-1:0] len_mem [0:DEPTH-1];
    logic [AW:0]      len_wr, len_rd;   // lengths written (frames committed), read
    logic [LEN_W-1:0] acc;              // bytes of the frame being written, before this beat
    logic [LEN_W:0]   sum;              // ... and with this beat
    logic [LEN_W-1:0] sum_sat;
    logic [LEN_W-1:0] len_q;            // the length of the frame in the output register
    logic             popped;           // a beat has been read from the memory since reset
    logic             rd_first;         // the next beat read from the memory begins a frame
    logic             len_push, len_pop;

    always_comb begin
      sum = {1'b0, acc};
      for (int i = 0; i < KEEP_W; i++) sum = sum + (LEN_W + 1)'(s_tkeep[i]);
    end
    assign sum_sat  = sum[LEN_W] ? LEN_MAX : sum[LEN_W-1:0];
    // A commit (the frame's TLAST beat written) writes its length; the frame's first beat
    // entering the output register reads it. The output register keeps the last beat read, so
    // the next beat read begins a frame when that one was a TLAST.
    assign len_push = write && s_tlast;
    assign rd_first = !popped || m_tlast;
    assign len_pop  = pop && rd_first;

    always_ff @(posedge clk) begin
      if (len_push) len_mem[len_wr[AW-1:0]] <= sum_sat;
      if (len_pop) len_q <= len_mem[len_rd[AW-1:0]];
    end

    always_ff @(posedge clk) begin
      if (!rst_n) begin
        len_wr <= '0;
        len_rd <= '0;
        acc    <= '0;
        popped <= 1'b0;
      end else begin
        // A beat written adds to its frame; a commit or a drop starts the next frame at 0.
        if (s_tvalid && !discard) acc <= (write && !s_tlast) ? sum_sat : '0;
        if (len_push) len_wr <= len_wr + 1'b1;
        if (len_pop) len_rd <= len_rd + 1'b1;
        if (pop) popped <= 1'b1;
      end
    end
    assign m_tlen = len_q;
  end else begin : g_no_len
    assign m_tlen = 1'b0;
  end
endmodule
