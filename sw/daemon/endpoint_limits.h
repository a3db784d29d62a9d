// What one endpoint (socket) of brokerd grants its callers at most, so that no caller, least
// of all an unprivileged local user on the read-only socket (mode 0666), can exhaust the
// daemon's file descriptors, threads or memory, or starve the admin socket. Each endpoint is a
// gRPC server of its own, with its own threads and caps. The read-only endpoint gets less.
#pragma once
#include <cstddef>
#include <cstdint>

namespace broker::daemon {

struct EndpointLimits {
  uint32_t max_connections;  // Unix sockets: open at once; more are closed at accept
  uint32_t max_streams;      // StreamCounters calls open at once
  int max_threads;           // gRPC's sync server threads (each RPC in progress holds one)
};

// An operator's tools (brokerctl, a poller, a dashboard or two) need a handful of each.
inline constexpr EndpointLimits kAdminEndpointLimits{64, 32, 64};
inline constexpr EndpointLimits kReadOnlyEndpointLimits{16, 8, 24};
// Streams one connection may carry at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).
inline constexpr int kMaxStreamsPerConnection = 8;

// Requests: the largest legitimate one is a SetConfig of a full card (16 + 16 ports, 8
// groups of 16 members, names of 64 bytes), a few kB; 256 KiB bounds what a caller can make
// the daemon parse. ExplainPacket carries one frame (at most 65,535 bytes). Every other request
// is a few fields: 16 KiB.
inline constexpr int kMaxRequestBytes = 256 * 1024;
inline constexpr size_t kMaxExplainRequestBytes = 65535 + 1024;
inline constexpr size_t kMaxSmallRequestBytes = 16 * 1024;

// File descriptors: the caps above (64 + 16 connections), the bindings (16 + 16 files, two per
// live interface), gRPC's own (pollers, wakeup fds, TCP connections), logs and state. The
// daemon raises its soft limit to the hard one (at most kFdWanted) and refuses to start below
// kFdFloor.
inline constexpr uint64_t kFdFloor = 512;
inline constexpr uint64_t kFdWanted = 65536;

}  // namespace broker::daemon
