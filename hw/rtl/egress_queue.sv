// Egress queue of one tool port: a FIFO of DEPTH AXI4-Stream beats between the core's TDEST
// demultiplexer and the port.
//
// It never drops: when full it deasserts s_tready, which back-pressures the demultiplexer
// and so the core. OUT_CTRL.DRAIN needs nothing from it: by the time the driver sets DRAIN
// no bucket names the port any more, so the queue only has to empty out, and the driver
// polls OUT_STATUS.EMPTY (empty_o) for that. DRAIN is therefore a plain register of the CSR
// block, not an input here.
//
// Memory with a registered read (block-RAM or distributed-RAM friendly) plus one output
// register: first-word fall-through, one beat per clock in and out, DEPTH + 1 beats held,
// two clocks from s_tvalid to m_tvalid. s_tready and m_tvalid come straight from registers.
module egress_queue #(
  parameter int unsigned DATA_W = 512,
  parameter int unsigned KEEP_W = DATA_W / 8,
  parameter int unsigned DEPTH  = 64           // beats in the memory; a power of two
) (
  input  logic              clk,
  input  logic              rst_n,
  input  logic [DATA_W-1:0] s_tdata,
  input  logic [KEEP_W-1:0] s_tkeep,
  input  logic              s_tlast,
  input  logic              s_tvalid,
  output logic              s_tready,
  output logic [DATA_W-1:0] m_tdata,
  output logic [KEEP_W-1:0] m_tkeep,
  output logic              m_tlast,
  output logic              m_tvalid,
  input  logic              m_tready,
  output logic              empty_o      // no beat held anywhere (OUT_STATUS.EMPTY)
);
  localparam int unsigned AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam int unsigned W = DATA_W + KEEP_W + 1;

  if ((1 << AW) != DEPTH || DEPTH < 2) begin : g_bad_depth
    $error("egress_queue: DEPTH must be a power of two, at least 2");
  end

  logic [W-1:0] mem [0:DEPTH-1];
  logic [AW:0]  wr_ptr, rd_ptr;     // one extra bit tells full from empty
  logic         mem_empty, mem_full;
  logic         push, pop;
  logic [W-1:0] rd_q;

  assign mem_empty = (wr_ptr == rd_ptr);
  assign mem_full  = (wr_ptr[AW-1:0] == rd_ptr[AW-1:0]) && (wr_ptr[AW] != rd_ptr[AW]);
  assign s_tready  = !mem_full;
  assign push      = s_tvalid && !mem_full;
  // Refill the output register whenever it is free or being taken.
  assign pop       = !mem_empty && (!m_tvalid || m_tready);

  always_ff @(posedge clk) begin
    if (push) mem[wr_ptr[AW-1:0]] <= {s_tlast, s_tkeep, s_tdata};
    if (pop) rd_q <= mem[rd_ptr[AW-1:0]];
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      wr_ptr   <= '0;
      rd_ptr   <= '0;
      m_tvalid <= 1'b0;
    end else begin
      if (push) wr_ptr <= wr_ptr + 1'b1;
      if (pop) begin
        rd_ptr   <= rd_ptr + 1'b1;
        m_tvalid <= 1'b1;
      end else if (m_tready) begin
        m_tvalid <= 1'b0;
      end
    end
  end

  assign {m_tlast, m_tkeep, m_tdata} = rd_q;
  assign empty_o = mem_empty && !m_tvalid;
endmodule
