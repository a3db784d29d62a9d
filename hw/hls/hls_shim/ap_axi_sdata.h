// ap_axiu<D, U, TI, TD>: an AXI4-Stream beat with AMD's field names (UG1399). A side channel
// of width 0 is disabled as in Vitis 2022.2 and later: its field is an empty struct, so any
// use of it fails to compile. Used with the shim's ap_int.h or with AMD's, whichever comes
// first on the include path (AMD's open-source headers have no ap_axi_sdata.h).
#ifndef BROKER_HLS_SHIM_AP_AXI_SDATA_H_
#define BROKER_HLS_SHIM_AP_AXI_SDATA_H_

#include <ap_int.h>

namespace ap_axi_shim {
struct disabled_signal {};
template <int W> struct side { typedef ap_uint<W> type; };
template <> struct side<0> { typedef disabled_signal type; };
}  // namespace ap_axi_shim

template <int D, int U, int TI, int TD>
struct ap_axiu {
  ap_uint<D> data;
  ap_uint<(D + 7) / 8> keep;
  ap_uint<(D + 7) / 8> strb;
  typename ap_axi_shim::side<U>::type user;
  ap_uint<1> last;
  typename ap_axi_shim::side<TI>::type id;
  typename ap_axi_shim::side<TD>::type dest;
};

#endif  // BROKER_HLS_SHIM_AP_AXI_SDATA_H_
