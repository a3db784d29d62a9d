// The co-simulated broker_encap kernels (sim/rtl/broker_encap.sv, encap_dpi.cpp).
#pragma once

// Live broker_encap instances in this process (one per wired tool port of each model): lets a
// card check that its model has the co-simulated kernel and not the lint black box.
extern "C" int broker_sim_encap_instances();
