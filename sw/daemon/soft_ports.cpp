#include "soft_ports.h"

#include <fcntl.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pcap_source.h"

namespace broker::daemon {

struct SoftPorts::Ingress {
  std::string binding;
  v1::BindingState state = v1::BINDING_NONE;
  std::string error;
  // capture file
  std::unique_ptr<io::PcapSource> file;
  dev_t dev = 0;                // its identity, for the progress kept across restarts
  ino_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t consumed = 0;        // frames taken from it (forwarded), counting a resume's skip
  uint64_t resumed_after = 0;
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
  // Prepared, not yet running: the opened capture (becomes `file` at install) and whether
  // the configuration asks to empty it.
  std::optional<CaptureFile> opened;
  bool overwrite = false;
  dev_t dev = 0;
  ino_t ino = 0;

  std::mutex m;
  std::condition_variable cv;       // the writer waits for frames, a sync or the stop
  std::condition_variable exited_cv;
  std::condition_variable room_cv;  // the writer took a frame out
  bool full = false;                // the last offer found no room even after waiting
  std::deque<Queued> queue;
  size_t bytes = 0;                 // queued or being written
  bool stop = false, exited = false;
  bool sync = false;                // flush as soon as idle
  // A frame offered is settled once it is in the output (`durable`: in the file, or sent) or
  // dropped for good; `written` ones are past the queue (`written - durable` wait in the
  // file's buffer). The inputs' saved progress waits for its frames to be settled.
  uint64_t offered = 0, written = 0, durable = 0, dropped = 0;
  std::string error;                // the output failed: later frames are dropped
  uint64_t unwritten = 0;           // frames the output could not take
  uint64_t lost_seen = 0;           // file->frames_lost() already counted
  std::thread writer;

  bool bound() const { return !binding.empty(); }

  // Counts (as TX drops and unwritten) the frames the file lost since the last call, and
  // records the first error. With m held.
  void output_failed(cards::SoftCard& card, uint8_t port, const std::string& what) {
    const uint64_t lost = file ? file->frames_lost() : 0;
    const uint64_t n = lost - lost_seen;
    lost_seen = lost;
    if (n > 0) {
      unwritten += n;
      card.count_tx_drop(port, n);
    }
    if (error.empty() && !what.empty()) {
      error = what;
      spdlog::error("event=output_failed port={} binding=\"{}\" error=\"{}\" frames_unwritten={}", port, binding,
                    what, unwritten);
    }
  }

  enum class Offer { kQueued, kDropped, kFull };

  // kDropped (the caller counts a drop) when the output has failed, or when the queue is still
  // full after the caller already waited for it once; kFull when a queue that had room is full
  // now: the caller waits for room (wait_for_room, holding no other lock) and offers again.
  // One that stays full drops at once until it has room again, so an output that blocks holds
  // nothing else back for long.
  Offer offer(uint64_t ts_ns, const uint8_t* data, uint32_t len, uint32_t wire_len) {
    std::lock_guard lock(m);
    if (!error.empty()) {
      ++unwritten;
      return Offer::kDropped;
    }
    if (bytes + len > kEgressQueueBytes) {
      if (full) return Offer::kDropped;
      full = true;
      return Offer::kFull;
    }
    full = false;
    queue.push_back(Queued{ts_ns, wire_len, std::vector<uint8_t>(data, data + len)});
    ++offered;
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

  // Drops (and counts) every frame waiting in the queue; returns how many. With m held.
  uint64_t drop_queue(cards::SoftCard& card, uint8_t port) {
    uint64_t n = 0;
    for (; !queue.empty(); queue.pop_front(), ++n) bytes -= queue.front().data.size();
    dropped += n;
    if (n > 0) card.count_tx_drop(port, n);
    room_cv.notify_all();
    return n;
  }

  // The port's link went down: what waits in the queue is dropped, counted (a frame the
  // writer already took is written, as a card's queue finishes a frame that began to leave).
  void discard_queued(cards::SoftCard& card, uint8_t port) {
    std::lock_guard lock(m);
    drop_queue(card, port);
  }

  // Everything offered is written and flushed; asks the writer to flush otherwise.
  bool drained() {
    std::lock_guard lock(m);
    if (bytes == 0 && durable == written) return true;
    sync = true;
    cv.notify_one();
    return !error.empty() && bytes == 0;
  }

  std::string failure() {
    std::lock_guard lock(m);
    return error;
  }

  uint64_t offered_count() {
    std::lock_guard lock(m);
    return offered;
  }
  uint64_t settled_count() {
    std::lock_guard lock(m);
    return durable + dropped;
  }
  void request_sync() {
    std::lock_guard lock(m);
    sync = true;
    cv.notify_one();
  }
  // With m held, after a write or a flush.
  void note_durable() { durable = file && error.empty() ? file->frames_committed() : written; }

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
        if (written != durable && due) {
          if (file && error.empty()) {
            lock.unlock();
            std::string failed;
            try {
              file->flush();
            } catch (const std::exception& e) {
              failed = e.what();
            }
            lock.lock();
            if (!failed.empty()) output_failed(card, port, failed);
          }
          note_durable();
          last_flush = now;
        }
        sync = false;
        // Frames queued before the output failed are dropped, counted. (Without an error the
        // queue may hold frames offered while the flush above ran unlocked: they are written.)
        if (!error.empty()) unwritten += drop_queue(card, port);
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
      }
      lock.lock();
      bytes -= f.data.size();
      room_cv.notify_all();
      ++written;
      if (!failed.empty()) output_failed(card, port, failed);
      note_durable();
    }
    if (file) {
      lock.unlock();
      std::string failed;
      try {
        file->close();
      } catch (const std::exception& e) {
        failed = e.what();
      }
      lock.lock();
      if (!failed.empty()) output_failed(card, port, failed);
      note_durable();
    }
    exited = true;
    exited_cv.notify_all();
  }

  void start(cards::SoftCard& card, uint8_t port, std::shared_ptr<Egress> self) {
    if (!file && !live) return;
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

SoftPorts::SoftPorts(cards::SoftCard& card, const CaptureDir& captures, std::filesystem::path progress_file)
    : card_(card), captures_(captures), progress_file_(std::move(progress_file)) {
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
  std::string progress;
  {
    std::lock_guard lock(mu_);
    for (auto& e : egress_) e->finish(kWriterStopWait);
    progress = progress_text();
  }
  save_progress(progress);
}

SoftPorts::Plan::Plan() = default;
SoftPorts::Plan::~Plan() = default;

namespace {

struct FileUse {
  std::string field;
  bool output = false;
};

}  // namespace

std::vector<config::Issue> SoftPorts::check_paths(const v1::Config& c) const {
  std::vector<config::Issue> issues;
  std::map<std::string, FileUse> used;  // relative path -> its first binding
  auto check = [&](const v1::PortBinding& b, const std::string& field, bool output) {
    if (b.has_interface() && if_nametoindex(b.interface().c_str()) == 0)
      issues.push_back({field + ".interface", fmt::format("no network interface named '{}'", b.interface())});
    if (!b.has_pcap_file()) return;
    try {
      const std::string rel = captures_.relative(b.pcap_file());
      auto [it, fresh] = used.emplace(rel, FileUse{field, output});
      if (!fresh && (output || it->second.output))
        issues.push_back({field + ".pcap_file",
                          fmt::format("'{}' is also bound by {}: one capture file per output binding",
                                      b.pcap_file(), it->second.field)});
    } catch (const PathRefused& e) {
      issues.push_back({field + ".pcap_file", e.what()});
    }
  };
  for (int i = 0; i < c.ingress_ports_size(); ++i)
    check(c.ingress_ports(i).binding(), fmt::format("ingress_ports[{}].binding", i), false);
  for (int i = 0; i < c.egress_ports_size(); ++i)
    check(c.egress_ports(i).binding(), fmt::format("egress_ports[{}].binding", i), true);
  return issues;
}

std::unique_ptr<SoftPorts::Plan> SoftPorts::prepare(const v1::Config& c, std::vector<config::Issue>& issues) const {
  auto plan = std::make_unique<Plan>();
  plan->ingress.resize(core::kInPorts);
  plan->egress.resize(core::kOutPorts);
  std::vector<std::string> in_bind(core::kInPorts), out_bind(core::kOutPorts);
  std::vector<const v1::PortBinding*> in_b(core::kInPorts, nullptr), out_b(core::kOutPorts, nullptr);
  std::vector<int> in_index(core::kInPorts, -1), out_index(core::kOutPorts, -1);
  for (int i = 0; i < c.ingress_ports_size(); ++i)
    if (const auto& p = c.ingress_ports(i); p.port() < core::kInPorts) {
      in_bind[p.port()] = binding_text(p.binding());
      in_b[p.port()] = &p.binding();
      in_index[p.port()] = i;
    }
  for (int i = 0; i < c.egress_ports_size(); ++i)
    if (const auto& p = c.egress_ports(i); p.port() < core::kOutPorts) {
      out_bind[p.port()] = binding_text(p.binding()) + (p.binding().overwrite() ? " (overwrite)" : "");
      out_b[p.port()] = &p.binding();
      out_index[p.port()] = i;
    }
  // The files of the bindings that stay, to find an output shared with another binding.
  std::map<std::pair<dev_t, ino_t>, FileUse> files;
  {
    std::lock_guard lock(mu_);
    // A binding that failed is opened again by any change that names it (a disk freed, a
    // file put back); the others that stay the same keep running.
    for (int i = 0; i < core::kInPorts; ++i) {
      const Ingress& in = *ingress_[i];
      if (in.binding != in_bind[i] || in_bind[i].empty() || in.state == v1::BINDING_FAILED) {
        plan->ingress[i] = std::make_unique<Ingress>();
      } else if (in.file) {
        files.emplace(std::pair{in.dev, in.ino},
                      FileUse{fmt::format("ingress_ports[{}].binding.pcap_file", in_index[i]), false});
      }
    }
    for (int i = 0; i < core::kOutPorts; ++i) {
      Egress& out = *egress_[i];
      if (out.binding != out_bind[i] || !out.failure().empty()) {
        plan->egress[i] = std::make_shared<Egress>();
      } else if (out.file) {
        files.emplace(std::pair{out.dev, out.ino},
                      FileUse{fmt::format("egress_ports[{}].binding.pcap_file", out_index[i]), true});
      }
    }
  }
  auto claim = [&](dev_t dev, ino_t ino, const std::string& field, bool output) -> std::string {
    auto [it, fresh] = files.emplace(std::pair{dev, ino}, FileUse{field, output});
    if (fresh || (!output && !it->second.output)) return "";
    return fmt::format("the same file as {}: one capture file per output binding", it->second.field);
  };

  // Nothing opened here is read past its header or written: that waits for install().
  for (int i = 0; i < core::kInPorts; ++i) {
    if (!plan->ingress[i]) continue;
    Ingress& in = *plan->ingress[i];
    in.binding = in_bind[i];
    if (in_bind[i].empty()) continue;
    const std::string field = fmt::format("ingress_ports[{}].binding", in_index[i]);
    auto fail = [&](const std::string& sub, const std::string& why) {
      in.state = v1::BINDING_FAILED;
      in.error = why;
      issues.push_back({field + sub, why});
    };
    if (in_b[i]->has_pcap_file()) {
      try {
        CaptureFile f = captures_.open_for_reading(in_b[i]->pcap_file());
        struct stat st {};
        ::fstat(f.fd.get(), &st);
        in.dev = st.st_dev;
        in.ino = st.st_ino;
        in.size = uint64_t(st.st_size);
        in.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        if (std::string why = claim(in.dev, in.ino, field + ".pcap_file", false); !why.empty()) {
          fail(".pcap_file", why);
          continue;
        }
        std::FILE* file = ::fdopen(f.fd.get(), "rb");
        if (!file) throw std::runtime_error(fmt::format("'{}': {}", f.path, std::strerror(errno)));
        f.fd.release();
        in.file = std::make_unique<io::PcapSource>(file, f.path);
        in.pace = in_b[i]->pace();
        in.has_pending = in.file->next(in.pending);
        in.state = in.has_pending ? v1::BINDING_RUNNING : v1::BINDING_DONE;
      } catch (const std::exception& e) {
        in.file.reset();
        fail(".pcap_file", e.what());
      }
    } else {
      in.live = open_interface(in_b[i]->interface(), true, in.error);
      if (in.live)
        in.state = v1::BINDING_RUNNING;
      else
        fail(".interface", in.error);
    }
  }
  for (int i = 0; i < core::kOutPorts; ++i) {
    if (!plan->egress[i]) continue;
    Egress& out = *plan->egress[i];
    out.binding = out_bind[i];
    if (out_bind[i].empty()) continue;
    const std::string field = fmt::format("egress_ports[{}].binding", out_index[i]);
    if (out_b[i]->has_pcap_file()) {
      try {
        CaptureFile f = captures_.open_for_writing(out_b[i]->pcap_file());
        out.dev = f.dev;
        out.ino = f.ino;
        out.overwrite = out_b[i]->overwrite();
        if (std::string why = claim(f.dev, f.ino, field + ".pcap_file", true); !why.empty())
          throw std::runtime_error(why);
        // An existing file is appended to only if it is a capture of ours.
        if (!out.overwrite) io::PcapSink::check_appendable(f.fd.get(), f.path);
        out.opened = std::move(f);
      } catch (const std::exception& e) {
        out.error = e.what();
        issues.push_back({field + ".pcap_file", out.error});
      }
    } else {
      out.live = open_interface(out_b[i]->interface(), false, out.error);
      out.interface = out_b[i]->interface();
      if (!out.live) issues.push_back({field + ".interface", out.error});
    }
  }
  return plan;
}

void SoftPorts::abandon(std::unique_ptr<Plan> plan) const {
  if (!plan) return;
  for (auto& e : plan->egress)
    if (e && e->opened) CaptureDir::remove_created(*e->opened);
}

void SoftPorts::install(std::unique_ptr<Plan> plan, bool restart) {
  std::lock_guard lock(mu_);
  const std::map<int, InputProgress> saved = restart ? load_progress() : std::map<int, InputProgress>{};
  for (int i = 0; i < core::kInPorts; ++i) {
    if (!plan->ingress[i]) continue;
    Ingress& in = *plan->ingress[i];
    if (restart && in.file && in.has_pending) {
      const auto it = saved.find(i);
      resume(in, i, it == saved.end() ? nullptr : &it->second);
    }
    ingress_[i] = std::move(plan->ingress[i]);
  }
  for (int i = 0; i < core::kOutPorts; ++i) {
    if (!plan->egress[i]) continue;
    std::shared_ptr<Egress> out = std::move(plan->egress[i]);
    if (out->opened) {
      CaptureFile f = std::move(*out->opened);
      out->opened.reset();
      try {
        const auto mode = out->overwrite && !restart ? io::PcapSink::Open::kTruncate : io::PcapSink::Open::kAppend;
        out->file = std::make_unique<io::PcapSink>(f.fd.release(), f.path, mode);
        if (out->file->tail_cut() > 0)
          spdlog::warn("event=capture_tail_cut port={} binding=\"{}\" bytes={} reason=\"a record cut short "
                       "(a crash or a full disk) ended the file\"",
                       i, out->binding, out->file->tail_cut());
        if (out->file->frames_before() > 0)
          spdlog::info("event=capture_appended port={} binding=\"{}\" frames_before={}", i, out->binding,
                       out->file->frames_before());
      } catch (const std::exception& e) {
        out->error = e.what();
      }
    }
    if (!out->error.empty())
      spdlog::error("event=output_failed port={} binding=\"{}\" error=\"{}\"", i, out->binding, out->error);
    egress_[i]->finish(kWriterStopWait);
    egress_[i] = out;
    out->start(card_, uint8_t(i), out);
    // Only an interface has a link of its own to follow (watch_links); other ports are up.
    if (out->interface.empty()) card_.set_wire_link(uint8_t(i), true);
  }
  next_link_check_ = {};
}

// Progress is saved only once the frames it counts as forwarded are in their outputs, so a
// crash after the save loses none of them (it may send the last ones twice instead).
std::optional<std::string> SoftPorts::settled_progress() {
  std::optional<std::string> ready;
  if (pending_progress_) {
    bool settled = true;
    for (const auto& [port, egress, need] : pending_progress_->need)
      settled &= egress_[port] != egress || egress->settled_count() >= need;  // rebound: written out
    if (!settled) return std::nullopt;
    ready = std::move(pending_progress_->text);
    pending_progress_.reset();
  }
  if (stalled_.empty()) {  // a stalled frame is counted as taken but not yet offered
    PendingProgress p;
    p.text = progress_text();
    for (int port = 0; port < core::kOutPorts; ++port)
      if (egress_[port]->file || egress_[port]->live) {
        p.need.push_back({port, egress_[port], egress_[port]->offered_count()});
        egress_[port]->request_sync();
      }
    pending_progress_ = std::move(p);
  }
  return ready;
}

// One line per input capture: "PORT DEV INO SIZE MTIME_NS FRAMES".
std::string SoftPorts::progress_text() const {
  std::string text;
  for (int i = 0; i < core::kInPorts; ++i) {
    const Ingress& in = *ingress_[i];
    if (!in.file) continue;
    text += fmt::format("{} {} {} {} {} {}\n", i, uint64_t(in.dev), uint64_t(in.ino), in.size, in.mtime_ns,
                        in.consumed);
  }
  return text;
}

std::map<int, SoftPorts::InputProgress> SoftPorts::load_progress() const {
  std::map<int, InputProgress> out;
  std::ifstream in(progress_file_);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    int port = -1;
    InputProgress p;
    if (ls >> port >> p.dev >> p.ino >> p.size >> p.mtime_ns >> p.frames && port >= 0 && port < core::kInPorts)
      out[port] = p;
  }
  return out;
}

// Goes on after the frames a run before this one forwarded, if it is still that file.
void SoftPorts::resume(Ingress& in, int port, const InputProgress* saved) {
  if (!saved) {
    spdlog::info("event=capture_from_start port={} binding=\"{}\" reason=\"no progress saved for it\"", port,
                 in.binding);
    return;
  }
  if (saved->dev != uint64_t(in.dev) || saved->ino != uint64_t(in.ino) || saved->size != in.size ||
      saved->mtime_ns != in.mtime_ns) {
    spdlog::warn("event=capture_from_start port={} binding=\"{}\" reason=\"the file changed since its progress "
                 "was saved\"",
                 port, in.binding);
    return;
  }
  try {
    for (uint64_t n = 0; n < saved->frames && in.has_pending; ++n) in.has_pending = in.file->next(in.pending);
    in.resumed_after = in.consumed = saved->frames;
    if (!in.has_pending) in.state = v1::BINDING_DONE;
    spdlog::info("event=capture_resumed port={} binding=\"{}\" frames_skipped={}", port, in.binding,
                 saved->frames);
  } catch (const std::exception& e) {
    in.has_pending = false;
    in.state = v1::BINDING_FAILED;
    in.error = e.what();
  }
}

// Written beside the state file, replaced whole (write, then rename), so a crash leaves the
// old progress or the new one. Not synced: losing the last writes replays a few frames twice.
void SoftPorts::save_progress(const std::string& text) {
  if (progress_file_.empty() || text == progress_saved_) return;
  const std::filesystem::path tmp = progress_file_.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) return;
  const bool written = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, progress_file_, ec);
  if (!ec) progress_saved_ = text;
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
  for (const auto& in : ingress_) out.push_back({in->state, in->binding, in->error, in->resumed_after});
  return out;
}

std::vector<EgressStatus> SoftPorts::egress_status() const {
  std::lock_guard lock(mu_);
  std::vector<EgressStatus> out;
  for (const auto& e : egress_) {
    std::lock_guard elock(e->m);
    EgressStatus st;
    st.binding = e->binding;
    st.error = e->error;
    st.unwritten = e->unwritten;
    st.state = e->binding.empty() ? v1::BINDING_NONE : e->error.empty() ? v1::BINDING_RUNNING : v1::BINDING_FAILED;
    out.push_back(std::move(st));
  }
  return out;
}

bool SoftPorts::emit(uint8_t in_port, uint64_t ts_ns, const uint8_t* data, uint32_t len, uint32_t wire_len) {
  const core::FrameResult& r = card_.forward(in_port, ts_ns, data, len);
  // One copy per port the data path chose (several when a filter replicates the frame).
  for (uint32_t mask = r.decision.out_mask; mask != 0; mask &= mask - 1) {
    const auto out = uint8_t(__builtin_ctz(mask));
    const std::shared_ptr<Egress>& e = egress_[out];
    if (!e->bound()) continue;
    // What leaves is the frame as the core sent it (outer headers gone, a segment tag pushed)
    // and as the port's encap wrapped it (a tunnel to a remote analyzer): its wire length
    // changes by as much as its captured length.
    const std::vector<uint8_t>& out_frame = card_.delivered_to(out);
    const uint32_t out_wire = wire_len + uint32_t(out_frame.size()) - len;
    switch (e->offer(ts_ns, out_frame.data(), uint32_t(out_frame.size()), out_wire)) {
      case Egress::Offer::kQueued:
        break;
      case Egress::Offer::kDropped:
        card_.count_tx_drop(out);
        break;
      case Egress::Offer::kFull:
        stalled_.push_back(Stalled{e, out, ts_ns, out_wire, out_frame});
        break;
    }
  }
  return !stalled_.empty();
}

void SoftPorts::wait_for_stalled_egress() {
  for (;;) {
    std::shared_ptr<Egress> egress;
    uint32_t bytes = 0;
    {
      std::lock_guard lock(mu_);
      if (stalled_.empty()) return;
      egress = stalled_.front().egress;
      bytes = uint32_t(stalled_.front().data.size());
    }
    // Without mu_: GetCounters, status and configuration changes go on meanwhile.
    egress->wait_for_room(bytes, kFullWait);
    std::lock_guard lock(mu_);
    Stalled s = std::move(stalled_.front());
    stalled_.erase(stalled_.begin());
    // A port rebound while the frame waited does not get it: its old output is gone.
    if (egress_[s.port] != s.egress ||
        s.egress->offer(s.ts_ns, s.data.data(), uint32_t(s.data.size()), s.wire_len) != Egress::Offer::kQueued)
      card_.count_tx_drop(s.port);
  }
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
  ++next->consumed;
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
    std::optional<std::string> progress;
    {
      std::lock_guard lock(mu_);
      for (int n = 0; n < 256 && stalled_.empty() && forward_one_file_frame(); ++n) busy = true;
      if (stalled_.empty()) busy |= poll_interfaces();
      if (stalled_.empty()) settle_finished_captures();
      watch_links();
      if (const auto now = std::chrono::steady_clock::now(); now >= next_progress_) {
        next_progress_ = now + kProgressEvery;
        progress = settled_progress();
      }
    }
    if (progress) save_progress(*progress);
    if (!stalled_.empty()) {
      wait_for_stalled_egress();
      continue;
    }
    if (!busy) std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

}  // namespace broker::daemon
