#include "pcap_source.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace broker::io {
namespace {

constexpr int kDltLinuxSll = 113;   // DLT_LINUX_SLL
constexpr int kDltLinuxSll2 = 276;  // DLT_LINUX_SLL2 (not defined by every libpcap header)
constexpr uint32_t kEthHeader = 14;
constexpr uint32_t kSllHeader = 16;
constexpr uint32_t kSll2Header = 20;

std::string link_type_name(int dlt) {
  const char* name = pcap_datalink_val_to_name(dlt);
  return std::string(name ? name : "unknown") + " (" + std::to_string(dlt) + ")";
}

uint16_t be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }

constexpr uint32_t kNgSectionHeader = 0x0A0D0D0A;
constexpr uint32_t kNgInterface = 1;
constexpr uint32_t kNgObsoletePacket = 2;
constexpr uint32_t kNgSimplePacket = 3;
constexpr uint32_t kNgEnhancedPacket = 6;
constexpr uint32_t kNgByteOrder = 0x1A2B3C4D;
constexpr uint32_t kNgMaxBlock = 64u << 20;  // far above any real block: a bigger one is damage

bool supported(int dlt) { return dlt == DLT_EN10MB || dlt == kDltLinuxSll || dlt == kDltLinuxSll2; }

uint32_t swap32(uint32_t v) { return __builtin_bswap32(v); }

}  // namespace

namespace {
std::FILE* open_for_reading(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open capture " + path + ": " + std::strerror(errno));
  return f;
}
}  // namespace

PcapSource::PcapSource(const std::string& path) : PcapSource(open_for_reading(path), path) {}

PcapSource::PcapSource(std::FILE* f, const std::string& path) : path_(path) {
  uint32_t magic = 0;
  const bool is_ng = std::fread(&magic, 4, 1, f) == 1 && magic == kNgSectionHeader;
  if (!is_ng) {
    std::rewind(f);
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    // libpcap owns the file from here (pcap_close closes it), and on failure closes nothing.
    pcap_ = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!pcap_) {
      std::fclose(f);
      throw std::runtime_error("cannot open capture " + path + ": " + errbuf);
    }
    link_type_ = pcap_datalink(pcap_);
  } else {
    std::rewind(f);
    file_ = f;
    // Packets need an interface, so the first interface comes before the first packet:
    // read up to it to know (and check) the capture's link type.
    uint32_t type = 0;
    while (ng_ifaces_.empty()) {
      if (!read_ng_block(type)) {
        std::fclose(file_);
        file_ = nullptr;
        throw std::runtime_error("capture " + path + " (pcapng) has no interface description");
      }
      if (type == kNgEnhancedPacket || type == kNgSimplePacket || type == kNgObsoletePacket) {
        std::fclose(file_);
        file_ = nullptr;
        throw std::runtime_error("capture " + path + " (pcapng) has a packet before any interface");
      }
      if (type == kNgInterface) add_ng_interface();
    }
    link_type_ = ng_ifaces_[0].link_type;
  }
  if (!supported(link_type_)) {
    const int dlt = link_type_;
    if (pcap_) pcap_close(pcap_);
    if (file_) std::fclose(file_);
    pcap_ = nullptr;
    file_ = nullptr;
    throw std::runtime_error("capture " + path + " has link type " + link_type_name(dlt) +
                             "; only Ethernet (EN10MB), Linux cooked SLL and SLL2 are supported");
  }
}

PcapSource::~PcapSource() {
  if (pcap_) pcap_close(pcap_);
  if (file_) std::fclose(file_);
}

bool PcapSource::next(FrameView& frame) { return pcap_ ? next_pcap(frame) : next_pcapng(frame); }

bool PcapSource::next_pcap(FrameView& frame) {
  pcap_pkthdr* h = nullptr;
  const u_char* bytes = nullptr;
  const int rc = pcap_next_ex(pcap_, &h, &bytes);
  if (rc == PCAP_ERROR_BREAK) return false;  // end of file
  if (rc != 1)
    throw std::runtime_error("error reading capture " + path_ + " after frame " +
                             std::to_string(frames_) + ": " + pcap_geterr(pcap_));
  const uint64_t ts = uint64_t(h->ts.tv_sec) * 1000000000ull + uint64_t(h->ts.tv_usec);
  emit(link_type_, ts, bytes, h->caplen, h->len, frame);
  return true;
}

uint32_t PcapSource::ng32(const uint8_t* p) const {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return ng_swapped_ ? swap32(v) : v;
}

uint16_t PcapSource::ng16(const uint8_t* p) const {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return ng_swapped_ ? __builtin_bswap16(v) : v;
}

// Reads one block into block_ (its body, without type, lengths and trailer).
bool PcapSource::read_ng_block(uint32_t& type) {
  uint8_t head[8];
  const size_t got = std::fread(head, 1, sizeof head, file_);
  if (got == 0 && std::feof(file_)) return false;
  const std::string where = "capture " + path_ + " (pcapng) at byte " + std::to_string(ng_offset_);
  if (got != sizeof head) throw std::runtime_error(where + ": file ends inside a block header");
  std::memcpy(&type, head, 4);
  if (type == kNgSectionHeader) {
    // A new section may change byte order: its byte-order magic follows the length.
    uint32_t bom;
    if (std::fread(&bom, 4, 1, file_) != 1)
      throw std::runtime_error(where + ": file ends inside a section header");
    if (bom == kNgByteOrder)
      ng_swapped_ = false;
    else if (bom == swap32(kNgByteOrder))
      ng_swapped_ = true;
    else
      throw std::runtime_error(where + ": bad byte-order magic in section header");
    std::fseek(file_, -4, SEEK_CUR);
    ng_ifaces_.clear();
  } else {
    type = ng32(head);
  }
  const uint32_t total = ng32(head + 4);
  if (total < 12 || total % 4 != 0 || total > kNgMaxBlock)
    throw std::runtime_error(where + ": bad block length " + std::to_string(total));
  block_.resize(total - 8);
  if (std::fread(block_.data(), 1, block_.size(), file_) != block_.size())
    throw std::runtime_error(where + ": file ends inside a block (truncated capture)");
  if (ng32(block_.data() + block_.size() - 4) != total)
    throw std::runtime_error(where + ": block trailer length does not match its header");
  block_.resize(block_.size() - 4);
  ng_offset_ += total;
  return true;
}

void PcapSource::add_ng_interface() {
  const std::string where =
      "capture " + path_ + " (pcapng) interface " + std::to_string(ng_ifaces_.size());
  if (block_.size() < 8) throw std::runtime_error(where + ": interface block too short");
  NgInterface itf{ng16(block_.data()), ng32(block_.data() + 4), 6, 0};
  size_t o = 8;
  while (o + 4 <= block_.size()) {
    const uint16_t code = ng16(block_.data() + o);
    const uint16_t len = ng16(block_.data() + o + 2);
    if (code == 0) break;  // opt_endofopt
    if (o + 4 + len > block_.size()) throw std::runtime_error(where + ": option overruns block");
    const uint8_t* v = block_.data() + o + 4;
    if (code == 9 && len >= 1) itf.tsresol = v[0];
    if (code == 14 && len >= 8) {
      uint64_t off;
      std::memcpy(&off, v, 8);
      if (ng_swapped_) off = __builtin_bswap64(off);
      itf.tsoffset = int64_t(off);
    }
    o += 4 + ((len + 3u) & ~3u);
  }
  ng_ifaces_.push_back(itf);
}

bool PcapSource::next_pcapng(FrameView& frame) {
  for (;;) {
    uint32_t type = 0;
    if (!read_ng_block(type)) return false;
    if (type == kNgInterface) {
      add_ng_interface();
      continue;
    }
    if (type != kNgEnhancedPacket && type != kNgSimplePacket && type != kNgObsoletePacket)
      continue;  // statistics, name resolution, custom blocks: nothing for the data path
    const std::string where = "capture " + path_ + " (pcapng) frame " + std::to_string(frames_ + 1);
    const uint8_t* b = block_.data();
    uint32_t iface = 0, caplen = 0, len = 0, data_off = 0;
    uint64_t ts = 0;
    if (type == kNgSimplePacket) {
      if (block_.size() < 4) throw std::runtime_error(where + ": packet block too short");
      len = ng32(b);
      data_off = 4;
      caplen = std::min<uint32_t>(len, uint32_t(block_.size()) - 4);
      if (!ng_ifaces_.empty() && ng_ifaces_[0].snaplen)
        caplen = std::min(caplen, ng_ifaces_[0].snaplen);
    } else {
      if (block_.size() < 20) throw std::runtime_error(where + ": packet block too short");
      iface = type == kNgEnhancedPacket ? ng32(b) : ng16(b);
      ts = (uint64_t(ng32(b + 4)) << 32) | ng32(b + 8);
      caplen = ng32(b + 12);
      len = ng32(b + 16);
      data_off = 20;
      if (caplen > block_.size() - 20)
        throw std::runtime_error(where + ": captured length overruns its block");
    }
    if (iface >= ng_ifaces_.size())
      throw std::runtime_error(where + ": refers to undeclared interface " + std::to_string(iface));
    const NgInterface& itf = ng_ifaces_[iface];
    if (!supported(itf.link_type))
      throw std::runtime_error(where + " is on interface " + std::to_string(iface) +
                               " with link type " + link_type_name(itf.link_type) +
                               "; only Ethernet (EN10MB), Linux cooked SLL and SLL2 are supported");
    // Timestamps in units of the interface's resolution, to nanoseconds.
    const uint8_t res = itf.tsresol & 0x7F;
    unsigned __int128 ns;
    if (itf.tsresol & 0x80) {
      ns = (unsigned __int128)ts * 1000000000u >> res;
    } else {
      ns = ts;
      for (int i = res; i < 9; ++i) ns *= 10;
      for (int i = 9; i < res; ++i) ns /= 10;
    }
    const uint64_t ts_ns = uint64_t(ns) + uint64_t(itf.tsoffset) * 1000000000ull;
    emit(itf.link_type, ts_ns, b + data_off, caplen, std::max(len, caplen), frame);
    return true;
  }
}

void PcapSource::emit(int dlt, uint64_t ts_ns, const uint8_t* bytes, uint32_t caplen, uint32_t len,
                      FrameView& frame) {
  ++frames_;
  frame.ts_ns = ts_ns;
  frame.link_type = dlt;
  if (dlt == DLT_EN10MB) {
    frame.wire_len = len;
    frame.data = std::span<const uint8_t>(bytes, caplen);
    return;
  }

  // Linux cooked capture: the link header is the capturing host's view (the packet's
  // source address and protocol only); rebuild an Ethernet header from it so the parser and
  // tool ports see a normal frame. The destination MAC is not recorded: zeros.
  const bool v2 = dlt == kDltLinuxSll2;
  const uint32_t sll_len = v2 ? kSll2Header : kSllHeader;
  uint16_t proto = 0;
  uint16_t halen = 0;
  const uint8_t* addr = nullptr;
  if (v2) {
    if (caplen >= 2) proto = be16(bytes);
    if (caplen >= 12) halen = bytes[11];
    if (caplen >= 20) addr = bytes + 12;
  } else {
    if (caplen >= 6) halen = be16(bytes + 4);
    if (caplen >= 14) addr = bytes + 6;
    if (caplen >= 16) proto = be16(bytes + 14);
  }
  const uint32_t payload = caplen > sll_len ? caplen - sll_len : 0;
  buf_.assign(kEthHeader + payload, 0);
  if (addr && halen == 6) std::memcpy(buf_.data() + 6, addr, 6);
  buf_[12] = uint8_t(proto >> 8);
  buf_[13] = uint8_t(proto);
  if (payload) std::memcpy(buf_.data() + kEthHeader, bytes + sll_len, payload);
  frame.wire_len = len > sll_len ? len - sll_len + kEthHeader : kEthHeader;
  frame.data = std::span<const uint8_t>(buf_.data(), buf_.size());
}

bool PcapSource::next(Frame& frame) {
  FrameView v;
  if (!next(v)) return false;
  frame.ts_ns = v.ts_ns;
  frame.wire_len = v.wire_len;
  frame.data.assign(v.data.begin(), v.data.end());
  return true;
}

namespace {

constexpr uint32_t kPcapNanoMagic = 0xA1B23C4D;
constexpr size_t kPcapHeader = 24, kRecordHeader = 16;

int create_truncating(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write capture " + path + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

PcapSink::PcapSink(const std::string& path, uint32_t snaplen)
    : PcapSink(create_truncating(path), path, Open::kTruncate, snaplen) {}

PcapSink::PcapSink(int fd, const std::string& path, Open mode, uint32_t snaplen)
    : path_(path), snaplen_(snaplen), fd_(fd) {
  buf_.reserve(kBufferBytes + 65536);
  try {
    if (mode == Open::kTruncate) {
      if (::ftruncate(fd_, 0) != 0)
        throw std::runtime_error("cannot truncate capture " + path_ + ": " + std::strerror(errno));
      write_header();
    } else {
      open_append();
    }
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

void PcapSink::write_header() {
  struct {
    uint32_t magic = kPcapNanoMagic;
    uint16_t major = 2, minor = 4;
    int32_t thiszone = 0;
    uint32_t sigfigs = 0, snaplen = 0, link_type = DLT_EN10MB;
  } h;
  static_assert(sizeof h == kPcapHeader);
  h.snaplen = snaplen_;
  if (::pwrite(fd_, &h, sizeof h, 0) != ssize_t(sizeof h))
    throw std::runtime_error("cannot write capture " + path_ + ": " + std::strerror(errno ? errno : EIO));
  committed_ = kPcapHeader;
}

void PcapSink::check_appendable(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw std::runtime_error("cannot stat capture " + path + ": " + std::strerror(errno));
  if (st.st_size == 0) return;
  uint32_t h[6] = {};
  if (size_t(st.st_size) < kPcapHeader || ::pread(fd, h, kPcapHeader, 0) != ssize_t(kPcapHeader) ||
      h[0] != kPcapNanoMagic || h[5] != DLT_EN10MB)
    throw std::runtime_error("capture " + path +
                             " exists and is not a nanosecond Ethernet pcap as brokerd writes: it is left as "
                             "it is (move it away, or bind with overwrite: true to replace it)");
}

// Walks the records (their headers only) to the last whole one.
void PcapSink::open_append() {
  check_appendable(fd_, path_);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw std::runtime_error("cannot stat capture " + path_ + ": " + std::strerror(errno));
  const uint64_t size = uint64_t(st.st_size);
  if (size == 0) {
    write_header();
    return;
  }
  uint32_t h[6] = {};
  ::pread(fd_, h, kPcapHeader, 0);
  uint64_t at = kPcapHeader;
  for (;;) {
    uint32_t r[4] = {};
    if (at + kRecordHeader > size || ::pread(fd_, r, kRecordHeader, off_t(at)) != ssize_t(kRecordHeader)) break;
    if (r[2] > std::max(snaplen_, h[4]) || at + kRecordHeader + r[2] > size) break;
    at += kRecordHeader + r[2];
    ++frames_before_;
  }
  if (at < size) {
    tail_cut_ = size - at;
    if (::ftruncate(fd_, off_t(at)) != 0)
      throw std::runtime_error("cannot cut the damaged end of capture " + path_ + ": " + std::strerror(errno));
  }
  committed_ = at;
}

PcapSink::~PcapSink() {
  try {
    close();
  } catch (const std::exception&) {
    // A destructor cannot report: frames_lost() said it, for whoever asked.
  }
}

void PcapSink::write(uint64_t ts_ns, const uint8_t* bytes, uint32_t len, uint32_t wire_len) {
  if (fd_ < 0) throw std::runtime_error("capture " + path_ + " is already closed");
  if (!failed_.empty()) {
    ++frames_;
    ++lost_;
    throw std::runtime_error(failed_);
  }
  const uint32_t caplen = len < snaplen_ ? len : snaplen_;
  const uint32_t header[4] = {uint32_t(ts_ns / 1000000000ull), uint32_t(ts_ns % 1000000000ull), caplen,
                              wire_len ? wire_len : len};
  const size_t at = buf_.size();
  buf_.resize(at + sizeof header + caplen);
  std::memcpy(buf_.data() + at, header, sizeof header);
  std::memcpy(buf_.data() + at + sizeof header, bytes, caplen);
  ++frames_;
  ++buffered_frames_;
  if (buf_.size() >= kBufferBytes) drain();
}

void PcapSink::drain() {
  size_t done = 0;
  while (done < buf_.size()) {
    const ssize_t n = ::pwrite(fd_, buf_.data() + done, buf_.size() - done, off_t(committed_ + done));
    if (n > 0) {
      done += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    failed_ = "cannot write capture " + path_ + ": " + std::strerror(n < 0 ? errno : ENOSPC);
    // What reached the file of the buffer is cut off again: the file ends on a whole record.
    if (::ftruncate(fd_, off_t(committed_)) != 0) failed_ += " (and its end could not be cut back)";
    lost_ += buffered_frames_;
    buffered_frames_ = 0;
    buf_.clear();
    throw std::runtime_error(failed_);
  }
  committed_ += buf_.size();
  buffered_frames_ = 0;
  buf_.clear();
}

void PcapSink::flush() {
  if (fd_ < 0) return;
  if (!failed_.empty()) throw std::runtime_error(failed_);
  drain();
}

void PcapSink::close() {
  if (fd_ < 0) return;
  std::string error;
  try {
    flush();
  } catch (const std::exception& e) {
    error = e.what();
  }
  ::close(fd_);
  fd_ = -1;
  if (!error.empty()) throw std::runtime_error(error);
}

}  // namespace broker::io
