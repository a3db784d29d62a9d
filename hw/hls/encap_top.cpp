// The encap kernel's HLS top, broker_encap: one instance per wired tool port in the RTL shell
// (hw/rtl/broker_top.sv), free running (ap_ctrl_none) like the core. The ENC_* registers come
// from the shell's CSR block as plain wires (its committed copy), the time from its us_tick.
#include "encap.h"

namespace broker {
namespace core {

void broker_encap(hls::stream<QueuedBeat>& in, hls::stream<WireBeat>& out, ap_uint<32> enc_ctrl,
                  ap_uint<32> enc_slice, ap_uint<32> enc_csum, ap_uint<32> enc_hdr[kEncapHdrBytes / 4],
                  Time now_us, ap_uint<1>& idle) {
#pragma HLS INTERFACE mode = ap_ctrl_none port = return
#pragma HLS INTERFACE mode = axis port = in
#pragma HLS INTERFACE mode = axis port = out
#pragma HLS INTERFACE mode = ap_none port = enc_ctrl
#pragma HLS INTERFACE mode = ap_none port = enc_slice
#pragma HLS INTERFACE mode = ap_none port = enc_csum
#pragma HLS INTERFACE mode = ap_none port = enc_hdr
#pragma HLS ARRAY_PARTITION variable = enc_hdr type = complete
#pragma HLS INTERFACE mode = ap_none port = now_us
#pragma HLS INTERFACE mode = ap_none port = idle
#pragma HLS PIPELINE II = 1 style = flp
  static EncapState st;
#pragma HLS RESET variable = st
  ap_uint<32> words[kEncapHdrBytes / 4];
  for (int i = 0; i < kEncapHdrBytes / 4; ++i) {
#pragma HLS UNROLL
    words[i] = enc_hdr[i];
  }
  encap_task(in, out, encap_config_of(enc_ctrl, enc_slice, enc_csum, words), now_us, st);
  idle = encap_idle(st) ? 1 : 0;
}

}  // namespace core
}  // namespace broker
