// Lint harness for the generated broker_regmap_pkg: Verilator will not lint a lone package
// (it needs a top module), and using a few constants in expressions makes width or
// signedness mistakes in the generator show up as -Wall warnings.
module regmap_lint_top
  import broker_regmap_pkg::*;
(
  input  logic [31:0] addr_i,
  input  logic [31:0] wdata_i,
  output logic        id_hit_o,
  output logic        group_hit_o,
  output logic [31:0] grp_ctrl_o,
  output logic [31:0] aperture_o
);
  // Range decode of a repeated block, the way the RTL shell will use the package.
  assign group_hit_o = (addr_i >= GROUP_BASE) && (addr_i < GROUP_BASE + GROUP_STRIDE * GROUP_COUNT);
  assign id_hit_o    = (addr_i == ID);

  always_comb begin
    grp_ctrl_o = GRP_CTRL_RESET;
    grp_ctrl_o[GRP_CTRL_MODE_LSB +: GRP_CTRL_MODE_WIDTH] = GRP_CTRL_MODE_DYNAMIC;
    grp_ctrl_o[GRP_CTRL_HASH_LSB +: GRP_CTRL_HASH_WIDTH] = GRP_CTRL_HASH_XOR16;
    grp_ctrl_o = (grp_ctrl_o & ~GRP_CTRL_ENABLE_MASK) | (wdata_i & GRP_CTRL_ENABLE_MASK);
  end

  assign aperture_o = REGMAP_APERTURE[31:0] - 32'd1;

  // Elaboration-time checks: the package must agree with itself.
  if (REGMAP_ID != ID_RESET) begin : g_bad_id
    $error("ID_RESET differs from REGMAP_ID");
  end
  if ((REGMAP_VERSION_MAJOR << 16 | REGMAP_VERSION_MINOR) != VERSION_RESET) begin : g_bad_version
    $error("VERSION_RESET differs from REGMAP_VERSION_*");
  end
endmodule
