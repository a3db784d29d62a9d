// The Alveo RTL kernel: broker_top (hw/rtl) with the interfaces Vitis links.
//
//   ap_clk, ap_rst_n   kernel clock and active-low reset (v++ drives them; every interface
//                      below is on ap_clk)
//   s_axi_control      AXI4-Lite register slave, 64 KiB aperture (the register map of
//                      hw/regmap; the host reaches it through xrt::ip)
//   rx0, rx1           512-bit AXI4-Stream in  <- cmac_0 / cmac_1 M_AXIS (QSFP28 0 / 1 RX)
//   tx0, tx1           512-bit AXI4-Stream out -> cmac_0 / cmac_1 S_AXIS (QSFP28 0 / 1 TX)
//
// broker_top is built with the register map's sizes (NUM_IN=8, NUM_OUT=16) so the register map,
// the driver and every other card stay the same. This card has two network ports, so:
//   ingress port 0 = rx0, 1 = rx1, each in a pipeline (lane) of its own in the core (port i is
//   in lane i % 2); ports 2..7 are idle (no beat ever arrives);
//   egress port 0 = tx0, 1 = tx1; ports 2..15 have no wire, and broker_top builds no FIFO,
//   queue or meter for them (RX_WIRED = TX_WIRED = 2, read back in CAPS3): the driver refuses
//   a configuration that uses them.
// The stream names and widths must match hw/vitis/kernel.xml and the connectivity_*.cfg files
// (tests/vitis/check_flow.py checks that).
//
// The kernel clock frequency comes from broker_kernel_cfg_pkg, which the Makefile generates
// from KERNEL_FREQ_MHZ (the same number it gives v++ --kernel_frequency and vitis_hls), so the
// microsecond tick is right for the clock the kernel really gets.
`default_nettype none

module broker_kernel (
  (* X_INTERFACE_INFO = "xilinx.com:signal:clock:1.0 ap_clk CLK" *)
  (* X_INTERFACE_PARAMETER = "ASSOCIATED_BUSIF s_axi_control:rx0:rx1:tx0:tx1, ASSOCIATED_RESET ap_rst_n" *)
  input  wire         ap_clk,
  (* X_INTERFACE_INFO = "xilinx.com:signal:reset:1.0 ap_rst_n RST" *)
  (* X_INTERFACE_PARAMETER = "POLARITY ACTIVE_LOW" *)
  input  wire         ap_rst_n,

  // AXI4-Lite slave (byte addresses within the kernel's 64 KiB register aperture)
  input  wire [15:0]  s_axi_control_awaddr,
  input  wire         s_axi_control_awvalid,
  output wire         s_axi_control_awready,
  input  wire [31:0]  s_axi_control_wdata,
  input  wire [3:0]   s_axi_control_wstrb,
  input  wire         s_axi_control_wvalid,
  output wire         s_axi_control_wready,
  output wire [1:0]   s_axi_control_bresp,
  output wire         s_axi_control_bvalid,
  input  wire         s_axi_control_bready,
  input  wire [15:0]  s_axi_control_araddr,
  input  wire         s_axi_control_arvalid,
  output wire         s_axi_control_arready,
  output wire [31:0]  s_axi_control_rdata,
  output wire [1:0]   s_axi_control_rresp,
  output wire         s_axi_control_rvalid,
  input  wire         s_axi_control_rready,

  // QSFP28 0 receive (from cmac_0 M_AXIS): ingress port 0
  input  wire [511:0] rx0_tdata,
  input  wire [63:0]  rx0_tkeep,
  input  wire         rx0_tlast,
  input  wire         rx0_tvalid,
  output wire         rx0_tready,
  // QSFP28 1 receive (from cmac_1 M_AXIS): ingress port 1
  input  wire [511:0] rx1_tdata,
  input  wire [63:0]  rx1_tkeep,
  input  wire         rx1_tlast,
  input  wire         rx1_tvalid,
  output wire         rx1_tready,

  // QSFP28 0 transmit (to cmac_0 S_AXIS): egress port 0
  output wire [511:0] tx0_tdata,
  output wire [63:0]  tx0_tkeep,
  output wire         tx0_tlast,
  output wire         tx0_tvalid,
  input  wire         tx0_tready,
  // QSFP28 1 transmit (to cmac_1 S_AXIS): egress port 1
  output wire [511:0] tx1_tdata,
  output wire [63:0]  tx1_tkeep,
  output wire         tx1_tlast,
  output wire         tx1_tvalid,
  input  wire         tx1_tready
);

  localparam int unsigned NUM_IN  = 8;   // = broker_regmap_pkg::IN_PORTS
  localparam int unsigned NUM_OUT = 16;  // = broker_regmap_pkg::OUT_PORTS
  localparam int unsigned CLK_HZ  = broker_kernel_cfg_pkg::KERNEL_CLK_HZ;

  // NUM_IN/NUM_OUT must equal the register map's sizes (the driver lays out the per-port
  // registers by them); tests/vitis/check_flow.py compares them with broker.regmap.toml.

  // Reset: registered twice, so the net that fans out over the whole kernel starts at a flop
  // next to it rather than at the platform's reset tree.
  logic [1:0] rst_n_q = 2'b00;
  always_ff @(posedge ap_clk) rst_n_q <= {rst_n_q[0], ap_rst_n};
  wire rst_n = rst_n_q[1];

  // Ingress: ports 0 and 1 from the QSFP28 cages, 2..NUM_IN-1 idle.
  logic [NUM_IN-1:0][511:0] rx_tdata;
  logic [NUM_IN-1:0][63:0]  rx_tkeep;
  logic [NUM_IN-1:0]        rx_tlast;
  logic [NUM_IN-1:0]        rx_tvalid;
  logic [NUM_IN-1:0]        rx_tready;

  assign rx_tdata  = {{(NUM_IN - 2){512'b0}}, rx1_tdata, rx0_tdata};
  assign rx_tkeep  = {{(NUM_IN - 2){64'b0}}, rx1_tkeep, rx0_tkeep};
  assign rx_tlast  = {{(NUM_IN - 2){1'b0}}, rx1_tlast, rx0_tlast};
  assign rx_tvalid = {{(NUM_IN - 2){1'b0}}, rx1_tvalid, rx0_tvalid};
  assign rx0_tready = rx_tready[0];
  assign rx1_tready = rx_tready[1];

  // Egress: ports 0 and 1 to the QSFP28 cages, 2..NUM_OUT-1 drained (no wire on this card).
  logic [NUM_OUT-1:0][511:0] tx_tdata;
  logic [NUM_OUT-1:0][63:0]  tx_tkeep;
  logic [NUM_OUT-1:0]        tx_tlast;
  logic [NUM_OUT-1:0]        tx_tvalid;
  logic [NUM_OUT-1:0]        tx_tready;

  assign tx_tready = {{(NUM_OUT - 2){1'b1}}, tx1_tready, tx0_tready};
  assign tx0_tdata  = tx_tdata[0];
  assign tx0_tkeep  = tx_tkeep[0];
  assign tx0_tlast  = tx_tlast[0];
  assign tx0_tvalid = tx_tvalid[0];
  assign tx1_tdata  = tx_tdata[1];
  assign tx1_tkeep  = tx_tkeep[1];
  assign tx1_tlast  = tx_tlast[1];
  assign tx1_tvalid = tx_tvalid[1];

  // The idle ports' signals go nowhere; said once here so lint does not flag them.
  wire unused_ok = &{1'b0, rx_tready[NUM_IN-1:2], tx_tdata[NUM_OUT-1:2], tx_tkeep[NUM_OUT-1:2],
                     tx_tlast[NUM_OUT-1:2], tx_tvalid[NUM_OUT-1:2]};

  broker_top #(
    .NUM_IN (NUM_IN),
    .NUM_OUT(NUM_OUT),
    .CLK_HZ (CLK_HZ),
    .RX_WIRED(2),
    .TX_WIRED(2)
  ) u_broker_top (
    .clk            (ap_clk),
    .rst_n          (rst_n),
    .s_axil_awaddr  (s_axi_control_awaddr),
    .s_axil_awvalid (s_axi_control_awvalid),
    .s_axil_awready (s_axi_control_awready),
    .s_axil_wdata   (s_axi_control_wdata),
    .s_axil_wstrb   (s_axi_control_wstrb),
    .s_axil_wvalid  (s_axi_control_wvalid),
    .s_axil_wready  (s_axi_control_wready),
    .s_axil_bresp   (s_axi_control_bresp),
    .s_axil_bvalid  (s_axi_control_bvalid),
    .s_axil_bready  (s_axi_control_bready),
    .s_axil_araddr  (s_axi_control_araddr),
    .s_axil_arvalid (s_axi_control_arvalid),
    .s_axil_arready (s_axi_control_arready),
    .s_axil_rdata   (s_axi_control_rdata),
    .s_axil_rresp   (s_axi_control_rresp),
    .s_axil_rvalid  (s_axi_control_rvalid),
    .s_axil_rready  (s_axi_control_rready),
    .rx_tdata       (rx_tdata),
    .rx_tkeep       (rx_tkeep),
    .rx_tlast       (rx_tlast),
    .rx_tvalid      (rx_tvalid),
    .rx_tready      (rx_tready),
    .tx_tdata       (tx_tdata),
    .tx_tkeep       (tx_tkeep),
    .tx_tlast       (tx_tlast),
    .tx_tvalid      (tx_tvalid),
    .tx_tready      (tx_tready),
    // XUP VNx's cmac kernel gives its receive status (stat_rx_status) only as a register, and
    // v++ links kernels by streams: the wired ports count as up here, and a port whose link
    // is down is taken out through LINK_ADMIN_DOWN (the shell then fails over exactly as for
    // a wire). A CMAC kernel that streams its status would drive this input directly.
    .link_up_i      ({NUM_OUT{1'b1}})
  );

endmodule

`default_nettype wire
