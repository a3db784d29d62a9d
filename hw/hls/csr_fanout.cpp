// The csr_fanout task: every register write reaches each task that keeps configuration.
#include "tasks.h"

namespace broker {
namespace core {

void csr_fanout_task(hls::stream<CsrWrite>& csr_wr, hls::stream<CsrWrite>& tunnel_cfg0,
                     hls::stream<CsrWrite>& tunnel_cfg1, hls::stream<CsrWrite>& filter_cfg,
                     hls::stream<CsrWrite>& key_cfg, hls::stream<CsrWrite>& select_cfg,
                     hls::stream<CsrWrite>& stats_cfg) {
#pragma HLS PIPELINE II = 1
  if (csr_wr.empty() || tunnel_cfg0.full() || tunnel_cfg1.full() || filter_cfg.full() || key_cfg.full() ||
      select_cfg.full() || stats_cfg.full())
    return;
  const CsrWrite w = csr_wr.read();
  tunnel_cfg0.write(w);
  tunnel_cfg1.write(w);
  filter_cfg.write(w);
  key_cfg.write(w);
  select_cfg.write(w);
  stats_cfg.write(w);
}

}  // namespace core
}  // namespace broker
