#include "soft_ports.h"

#include <net/if.h>
#include <pcap/pcap.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <filesystem>

#include <fmt/format.h>

#include "pcap_source.h"

namespace broker::daemon {

struct SoftPorts::Ingress {
  std::string binding;
  v1::BindingState state = v1::BINDING_NONE;
  std::string error;
  // capture file
  std::unique_ptr<io::PcapSource> file;
  io::Frame pending;
  bool has_pending = false;
  // pacing: frame time ts is due at wall0 + (ts - ts0) / pace
  double pace = 0;
  bool paced = false;
  std::chrono::steady_clock::time_point wall0;
  uint64_t ts0 = 0;

  bool due(std::chrono::steady_clock::time_point now) {
    if (pace <= 0) return true;
    if (!paced) {
      paced = true;
      wall0 = now;
      ts0 = pending.ts_ns;
    }
    const uint64_t since = pending.ts_ns > ts0 ? pending.ts_ns - ts0 : 0;
    return now >= wall0 + std::chrono::nanoseconds(uint64_t(double(since) / pace));
  }
  // interface
  pcap_t* live = nullptr;
  // capture read to its end, DONE once the egress queues are written (settle_finished_captures)
  bool finishing = false;
  std::chrono::steady_clock::time_point finished_at;

  ~Ingress() {
    if (live) pcap_close(live);
  }
};

// One bound egress port: its output, its queue and the thread that writes the queue out.
// The output (file, live) is touched by the writer thread only once it runs.
struct SoftPorts::Egress {
  struct Queued {
    uint64_t ts_ns = 0;
    uint32_t wire_len = 0;
    std::vector<uint8_t> data;
  };

  std::string binding;
  std::unique_ptr<io::PcapSink> file;
  pcap_t* live = nullptr;
  std::string interface;  // the interface of `live`, whose link the port's link follows

  std::mutex m;
  std::condition_variable cv;       // the writer waits for frames, a sync or the stop
  std::condition_variable exited_cv;
  std::condition_variable room_cv;  // the writer took a frame out
  bool full = false;                // the last offer found no room even after waiting
  std::deque<Queued> queue;
  size_t bytes = 0;                 // queued or being written
  bool stop = false, exited = false;
  bool sync = false;                // flush as soon as idle
  uint64_t unflushed = 0;           // frames written since the last flush
  std::string error;                // the output failed: later frames are dropped
  std::thread writer;

  bool bound() const { return file || live; }

  enum class Offer { kQueued, kDropped, kFull };

  // kDropped (the caller counts a drop) when the output has failed, or when the queue is still
  // full after the caller already waited for it once; kFull when a queue that had room is full
  // now: the caller waits for room (wait_for_room, holding no other lock) and offers again.
  // One that stays full drops at once until it has room again, so an output that blocks holds
  // nothing else back for long.
  Offer offer(uint64_t ts_ns, const uint8_t* data, uint32_t len, uint32_t wire_len) {
    std::lock_guard lock(m);
    if (!error.empty()) return Offer::kDropped;
    if (bytes + len > kEgressQueueBytes) {
      if (full) return Offer::kDropped;
      full = true;
      return Offer::kFull;
    }
    full = false;
    queue.push_back(Queued{ts_ns, wire_len, std::vector<uint8_t>(data, data + len)});
    bytes += len;
    cv.notify_one();
    return Offer::kQueued;
  }

  // Waits up to `wait` for room for `len` bytes (the writer was not scheduled, a disk paused).
  void wait_for_room(uint32_t len, std::chrono::milliseconds wait) {
    std::unique_lock lock(m);
    if (room_cv.wait_for(lock, wait, [&] { return !error.empty() || bytes + len <= kEgressQueueBytes; }))
      full = false;
  }

  // The port's link went down: what waits in the queue is dropped, counted (a frame the
  // writer already took is written, as a card's queue finishes a frame that began to leave).
  void discard_queued(cards::SoftCard& card, uint8_t port) {
    std::lock_guard lock(m);
    uint64_t n = 0;
    for (; !queue.empty(); queue.pop_front(), ++n) bytes -= queue.front().data.size();
    if (n > 0) card.count_tx_drop(port, n);
    room_cv.notify_all();
  }

  // Everything offered is written and flushed; asks the writer to flush otherwise.
  bool drained() {
    std::lock_guard lock(m);
    if (bytes == 0 && unflushed == 0) return true;
    sync = true;
    cv.notify_one();
    return !error.empty() && bytes == 0;
  }

  std::string failure() {
    std::lock_guard lock(m);
    return error;
  }

  // Writes the queue out until stopped. Output errors end writing (they are reported, and
  // later frames are dropped and counted) instead of ending the daemon.
  void run(cards::SoftCard& card, uint8_t port) {
    auto last_flush = std::chrono::steady_clock::now();
    std::unique_lock lock(m);
    for (;;) {
      cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop || sync || !queue.empty(); });
      const auto now = std::chrono::steady_clock::now();
      if (queue.empty() || !error.empty()) {
        const bool due = sync || stop || now - last_flush > std::chrono::milliseconds(200);
        if (unflushed > 0 && due) {
          if (file && error.empty()) {
            lock.unlock();
            std::string failed;
            try {
              file->flush();
            } catch (const std::exception& e) {
              failed = e.what();
            }
            lock.lock();
            if (!failed.empty()) error = failed;
          }
          unflushed = 0;
          last_flush = now;
        }
        sync = false;
        // Frames queued before the output failed are dropped, counted. (Without an error the
        // queue may hold frames offered while the flush above ran unlocked: they are written.)
        if (!error.empty()) {
          for (; !queue.empty(); queue.pop_front()) {
            bytes -= queue.front().data.size();
            card.count_tx_drop(port);
          }
        }
        if (stop && queue.empty()) break;
        continue;
      }
      Queued f = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      std::string failed;
      try {
        if (file) {
          file->write(f.ts_ns, f.data.data(), uint32_t(f.data.size()), f.wire_len);
        } else if (pcap_inject(live, f.data.data(), f.data.size()) < 0) {
          card.count_tx_drop(port);  // the kernel refused it (no buffer space, link down)
        }
      } catch (const std::exception& e) {
        failed = e.what();
        card.count_tx_drop(port);
      }
      lock.lock();
      bytes -= f.data.size();
      room_cv.notify_all();
      ++unflushed;
      if (!failed.empty()) error = failed;
    }
    if (file) {
      lock.unlock();
      try {
        file->close();
      } catch (const std::exception&) {
      }
      lock.lock();
    }
    exited = true;
    exited_cv.notify_all();
  }

  void start(cards::SoftCard& card, uint8_t port, std::shared_ptr<Egress> self) {
    if (!bound()) return;
    writer = std::thread([self = std::move(self), &card, port] { self->run(card, port); });
  }

  // Stops the writer: what is queued is written first. A writer stuck in an output that
  // does not move (a pipe nobody reads) is left behind after `wait`, owning this object.
  void finish(std::chrono::milliseconds wait) {
    if (!writer.joinable()) return;
    std::unique_lock lock(m);
    stop = true;
    cv.notify_one();
    if (exited_cv.wait_for(lock, wait, [&] { return exited; })) {
      lock.unlock();
      writer.join();
    } else {
      lock.unlock();
      writer.detach();
    }
  }

  ~Egress() {
    if (live) pcap_close(live);
  }
};

namespace {

std::string binding_text(const v1::PortBinding& b) {
  if (b.has_pcap_file())
    return "pcap:" + b.pcap_file() + (b.pace() > 0 ? fmt::format(" (pace {})", b.pace()) : "");
  if (b.has_interface()) return "if:" + b.interface();
  return "";
}

pcap_t* open_interface(const std::string& name, bool capture, std::string& error) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(name.c_str(), err);
  if (!p) {
    error = err;
    return nullptr;
  }
  pcap_set_snaplen(p, 65535);
  pcap_set_promisc(p, 1);
  pcap_set_immediate_mode(p, 1);
  pcap_set_timeout(p, 1);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  if (pcap_activate(p) < 0) {
    error = fmt::format("{}: {}", name, pcap_geterr(p));
    pcap_close(p);
    return nullptr;
  }
  if (pcap_datalink(p) != DLT_EN10MB) {
    error = fmt::format("{}: link type {} is not Ethernet", name,
                        pcap_datalink_val_to_name(pcap_datalink(p)) ?: "unknown");
    pcap_close(p);
    return nullptr;
  }
  if (capture) {
    // Only what arrives: frames we inject on an interface must not come back in.
    pcap_setdirection(p, PCAP_D_IN);
    if (pcap_setnonblock(p, 1, err) != 0) {
      error = err;
      pcap_close(p);
      return nullptr;
    }
  }
  return p;
}

}  // namespace

SoftPorts::SoftPorts(cards::SoftCard& card) : card_(card) {
  for (int i = 0; i < core::kInPorts; ++i) ingress_.push_back(std::make_unique<Ingress>());
  for (int i = 0; i < core::kOutPorts; ++i) egress_.push_back(std::make_shared<Egress>());
  thread_ = std::thread([this] { run(); });
}

SoftPorts::~SoftPorts() {
  stop();
  if (link_fd_ >= 0) ::close(link_fd_);
}

void SoftPorts::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& e : egress_) e->finish(kWriterStopWait);
}

std::vector<config::Issue> SoftPorts::check_bindings(const v1::Config& c) {
  std::vector<config::Issue> issues;
  for (int i = 0; i < c.ingress_ports_size(); ++i) {
    const auto& b = c.ingress_ports(i).binding();
    const std::string field = fmt::format("ingress_ports[{}].binding", i);
    if (b.has_pcap_file() && ::access(b.pcap_file().c_str(), R_OK) != 0)
      issues.push_back({field + ".pcap_file", fmt::format("cannot read capture '{}'", b.pcap_file())});
    if (b.has_interface() && if_nametoindex(b.interface().c_str()) == 0)
      issues.push_back({field + ".interface", fmt::format("no network interface named '{}'", b.interface())});
  }
  for (int i = 0; i < c.egress_ports_size(); ++i) {
    const auto& b = c.egress_ports(i).binding();
    const std::string field = fmt::format("egress_ports[{}].binding", i);
    if (b.has_pcap_file()) {
      std::filesystem::path dir = std::filesystem::path(b.pcap_file()).parent_path();
      if (dir.empty()) dir = ".";
      if (::access(dir.c_str(), W_OK) != 0)
        issues.push_back({field + ".pcap_file", fmt::format("cannot write into directory '{}'", dir.string())});
    }
    if (b.has_interface() && if_nametoindex(b.interface().c_str()) == 0)
      issues.push_back({field + ".interface", fmt::format("no network interface named '{}'", b.interface())});
  }
  return issues;
}

void SoftPorts::configure(const v1::Config& c) {
  std::lock_guard lock(mu_);
  std::vector<std::string> in_bind(core::kInPorts), out_bind(core::kOutPorts);
  std::vector<const v1::PortBinding*> in_b(core::kInPorts, nullptr), out_b(core::kOutPorts, nullptr);
  for (const auto& p : c.ingress_ports())
    if (p.port() < core::kInPorts) { in_bind[p.port()] = binding_text(p.binding()); in_b[p.port()] = &p.binding(); }
  for (const auto& p : c.egress_ports())
    if (p.port() < core::kOutPorts) { out_bind[p.port()] = binding_text(p.binding()); out_b[p.port()] = &p.binding(); }

  for (int i = 0; i < core::kInPorts; ++i) {
    if (ingress_[i]->binding == in_bind[i] && !in_bind[i].empty()) continue;
    auto in = std::make_unique<Ingress>();
    in->binding = in_bind[i];
    if (in_bind[i].empty()) {
      in->state = v1::BINDING_NONE;
    } else if (in_b[i]->has_pcap_file()) {
      try {
        in->file = std::make_unique<io::PcapSource>(in_b[i]->pcap_file());
        in->pace = in_b[i]->pace();
        in->has_pending = in->file->next(in->pending);
        in->state = in->has_pending ? v1::BINDING_RUNNING : v1::BINDING_DONE;
      } catch (const std::exception& e) {
        in->state = v1::BINDING_FAILED;
        in->error = e.what();
      }
    } else {
      in->live = open_interface(in_b[i]->interface(), true, in->error);
      in->state = in->live ? v1::BINDING_RUNNING : v1::BINDING_FAILED;
    }
    ingress_[i] = std::move(in);
  }
  for (int i = 0; i < core::kOutPorts; ++i) {
    if (egress_[i]->binding == out_bind[i]) continue;
    auto out = std::make_shared<Egress>();
    out->binding = out_bind[i];
    if (!out_bind[i].empty()) {
      try {
        if (out_b[i]->has_pcap_file()) {
          out->file = std::make_unique<io::PcapSink>(out_b[i]->pcap_file());
        } else {
          out->live = open_interface(out_b[i]->interface(), false, out->error);
          out->interface = out_b[i]->interface();
        }
      } catch (const std::exception& e) {
        out->error = e.what();
      }
    }
    egress_[i]->finish(kWriterStopWait);
    egress_[i] = out;
    out->start(card_, uint8_t(i), out);
    // Only an interface has a link of its own to follow (watch_links); other ports are up.
    if (out->interface.empty()) card_.set_wire_link(uint8_t(i), true);
  }
  next_link_check_ = {};
}

namespace {

// An interface's link as a MAC reports it: administratively up and running (carrier).
bool interface_link_up(int fd, const std::string& name) {
  ifreq req{};
  if (name.size() >= sizeof(req.ifr_name)) return false;
  std::memcpy(req.ifr_name, name.data(), name.size());
  if (::ioctl(fd, SIOCGIFFLAGS, &req) != 0) return false;  // gone: no link
  return (req.ifr_flags & IFF_UP) && (req.ifr_flags & IFF_RUNNING);
}

}  // namespace

void SoftPorts::watch_links() {
  const auto now = std::chrono::steady_clock::now();
  if (now >= next_link_check_) {
    next_link_check_ = now + kLinkCheck;
    for (int p = 0; p < core::kOutPorts; ++p) {
      const Egress& e = *egress_[p];
      if (e.interface.empty()) continue;
      if (link_fd_ < 0) link_fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      card_.set_wire_link(uint8_t(p), link_fd_ >= 0 && interface_link_up(link_fd_, e.interface));
    }
  }
  // Frames queued for a port whose link went down were decided before it went: dropped.
  const uint16_t link = card_.link_status();
  const uint16_t went_down = uint16_t(link_seen_ & ~link);
  link_seen_ = link;
  for (int p = 0; p < core::kOutPorts; ++p)
    if (went_down >> p & 1) egress_[p]->discard_queued(card_, uint8_t(p));
}

std::vector<IngressStatus> SoftPorts::ingress_status() const {
  std::lock_guard lock(mu_);
  std::vector<IngressStatus> out;
  for (const auto& in : ingress_) out.push_back({in->state, in->binding, in->error});
  return out;
}

bool SoftPorts::emit(uint8_t in_port, uint64_t ts_ns, const uint8_t* data, uint32_t len, uint32_t wire_len) {
  const core::FrameResult& r = card_.forward(in_port, ts_ns, data, len);
  const uint8_t out = r.decision.out_port;
  if (out == core::kNoPort) return false;
  const std::shared_ptr<Egress>& e = egress_[out];
  if (!e->bound()) return false;
  switch (e->offer(ts_ns, data, len, wire_len)) {
    case Egress::Offer::kQueued:
      return false;
    case Egress::Offer::kDropped:
      card_.count_tx_drop(out);
      return false;
    case Egress::Offer::kFull:
      stalled_ = Stalled{e, out, ts_ns, wire_len, std::vector<uint8_t>(data, data + len)};
      return true;
  }
  return false;
}

void SoftPorts::wait_for_stalled_egress() {
  // Without mu_: GetCounters, status and configuration changes go on meanwhile.
  stalled_->egress->wait_for_room(uint32_t(stalled_->data.size()), kFullWait);
  std::lock_guard lock(mu_);
  Stalled s = std::move(*stalled_);
  stalled_.reset();
  // A port rebound while the frame waited does not get it: its old output is gone.
  if (egress_[s.port] != s.egress ||
      s.egress->offer(s.ts_ns, s.data.data(), uint32_t(s.data.size()), s.wire_len) != Egress::Offer::kQueued)
    card_.count_tx_drop(s.port);
}

bool SoftPorts::forward_one_file_frame() {
  Ingress* next = nullptr;
  uint8_t port = 0;
  const auto now = std::chrono::steady_clock::now();
  for (int i = 0; i < core::kInPorts; ++i) {
    Ingress& in = *ingress_[i];
    if (in.has_pending && in.due(now) && (!next || in.pending.ts_ns < next->pending.ts_ns)) {
      next = &in;
      port = uint8_t(i);
    }
  }
  if (!next) return false;
  const bool stalled = emit(port, next->pending.ts_ns, next->pending.data.data(), uint32_t(next->pending.data.size()),
       next->pending.wire_len);
  try {
    next->has_pending = next->file->next(next->pending);
    if (!next->has_pending) {
      next->finishing = true;
      next->finished_at = std::chrono::steady_clock::now();
    }
  } catch (const std::exception& e) {
    next->has_pending = false;
    next->state = v1::BINDING_FAILED;
    next->error = e.what();
  }
  return !stalled;
}

bool SoftPorts::poll_interfaces() {
  bool any = false;
  for (int i = 0; i < core::kInPorts; ++i) {
    Ingress& in = *ingress_[i];
    if (!in.live) continue;
    for (int n = 0; n < 64; ++n) {
      pcap_pkthdr* h = nullptr;
      const u_char* data = nullptr;
      const int rc = pcap_next_ex(in.live, &h, &data);
      if (rc == 1) {
        const uint64_t ts = uint64_t(h->ts.tv_sec) * 1000000000ull + uint64_t(h->ts.tv_usec);
        any = true;
        if (emit(uint8_t(i), ts, data, h->caplen, h->len)) return any;
      } else {
        if (rc < 0) {
          in.state = v1::BINDING_FAILED;
          in.error = pcap_geterr(in.live);
          pcap_close(in.live);
          in.live = nullptr;
        }
        break;
      }
    }
  }
  return any;
}

void SoftPorts::settle_finished_captures() {
  bool any = false;
  for (const auto& in : ingress_) any |= in->finishing;
  if (!any) return;
  bool drained = true;
  for (auto& e : egress_) drained &= !e->bound() || e->drained();
  const auto now = std::chrono::steady_clock::now();
  for (auto& in : ingress_) {
    if (!in->finishing || (!drained && now - in->finished_at < kDoneWait)) continue;
    in->finishing = false;
    in->state = v1::BINDING_DONE;
  }
}

void SoftPorts::run() {
  while (running_) {
    bool busy = false;
    {
      std::lock_guard lock(mu_);
      for (int n = 0; n < 256 && !stalled_ && forward_one_file_frame(); ++n) busy = true;
      if (!stalled_) busy |= poll_interfaces();
      if (!stalled_) settle_finished_captures();
      watch_links();
    }
    if (stalled_) {
      wait_for_stalled_egress();
      continue;
    }
    if (!busy) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

}  // namespace broker::daemon
