// Reading and writing capture files. The data path only ever sees Ethernet frames, so the
// reader turns Linux cooked captures (SLL, SLL2) into Ethernet and refuses other link types.
#pragma once
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

typedef struct pcap pcap_t;

namespace broker::io {

// One frame, owning its bytes.
struct Frame {
  uint64_t ts_ns = 0;
  uint32_t wire_len = 0;  // length on the wire; data.size() is less when the capture snapped it
  std::vector<uint8_t> data;
};

// One frame, borrowing its bytes: valid until the next call on the source.
struct FrameView {
  uint64_t ts_ns = 0;
  uint32_t wire_len = 0;
  std::span<const uint8_t> data;
  int link_type = 0;  // DLT_* the frame was captured with, before it was made Ethernet
};

// A pcap or pcapng file, told apart by content, not by name. Classic pcap is read by libpcap.
// pcapng is read here: libpcap 1.10 refuses a pcapng file whose interfaces differ in link
// type or even only in snapshot length (common in multi-interface captures), and it stops
// at that interface's first packet with everything after it lost.
class PcapSource {
 public:
  // Throws std::runtime_error naming the file when it cannot be opened or its link type is
  // not Ethernet, Linux SLL or Linux SLL2.
  explicit PcapSource(const std::string& path);
  // Reads an opened file (taking it over; closed on error too); `path` names it in messages.
  PcapSource(std::FILE* file, const std::string& path);
  ~PcapSource();
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  // The next frame as Ethernet; false at the end of the file. Throws std::runtime_error on
  // a read error (a damaged file, or a pcapng interface of another link type).
  bool next(FrameView& frame);
  bool next(Frame& frame);

  const std::string& path() const { return path_; }
  // DLT_* of the file (pcapng: of its first interface; see FrameView::link_type per frame).
  int link_type() const { return link_type_; }
  uint64_t frames_read() const { return frames_; }

 private:
  struct NgInterface {
    int link_type;
    uint32_t snaplen;
    uint8_t tsresol;   // if_tsresol: bit 7 clear = 10^-n s, set = 2^-n s
    int64_t tsoffset;  // if_tsoffset, seconds
  };

  bool next_pcap(FrameView& frame);
  bool next_pcapng(FrameView& frame);
  bool read_ng_block(uint32_t& type);  // false at a clean end of file
  void add_ng_interface();
  uint32_t ng32(const uint8_t* p) const;
  uint16_t ng16(const uint8_t* p) const;
  void emit(int dlt, uint64_t ts_ns, const uint8_t* bytes, uint32_t caplen, uint32_t len,
            FrameView& frame);

  std::string path_;
  pcap_t* pcap_ = nullptr;
  std::FILE* file_ = nullptr;           // pcapng
  bool ng_swapped_ = false;             // section byte order differs from the host's
  std::vector<NgInterface> ng_ifaces_;  // of the current section
  std::vector<uint8_t> block_;          // body of the last pcapng block
  uint64_t ng_offset_ = 0;              // file offset of the next block, for messages
  int link_type_ = 0;
  uint64_t frames_ = 0;
  std::vector<uint8_t> buf_;  // rewritten frames (SLL); Ethernet frames are not copied
};

// Writes an Ethernet pcap with nanosecond timestamps. Written here rather than through
// libpcap's dumper because that one reports no error per frame, cannot append to a file it
// did not open by name, and leaves a half-written record behind a failed write: this one
// sees every failed write, counts the frames it lost, and cuts the file back to the last
// whole record, so what is on disk always reads as a capture.
class PcapSink {
 public:
  // Creates (or truncates) path.
  explicit PcapSink(const std::string& path, uint32_t snaplen = 262144);
  // Takes fd (opened for writing, positioned anywhere). kAppend keeps what the file holds:
  // an empty file gets the header, a capture of ours (nanosecond Ethernet pcap) is continued
  // after its last whole record (a record cut short by a crash is cut off; see tail_cut()),
  // anything else is refused (std::runtime_error naming `path`). kTruncate empties the file.
  enum class Open { kAppend, kTruncate };
  PcapSink(int fd, const std::string& path, Open mode, uint32_t snaplen = 262144);
  ~PcapSink();
  PcapSink(const PcapSink&) = delete;
  // Throws what kAppend would throw for fd, changing nothing.
  static void check_appendable(int fd, const std::string& path);
  PcapSink& operator=(const PcapSink&) = delete;

  // wire_len 0 means len (the frame was captured whole). Throws std::runtime_error when the
  // file cannot take what is buffered (the frames buffered are then lost: frames_lost()).
  void write(uint64_t ts_ns, const uint8_t* bytes, uint32_t len, uint32_t wire_len = 0);
  void flush();
  void close();

  const std::string& path() const { return path_; }
  uint64_t frames_written() const { return frames_; }      // handed to write()
  uint64_t frames_lost() const { return lost_; }            // of those, not in the file
  uint64_t frames_committed() const { return frames_ - buffered_frames_ - lost_; }  // in the file
  uint64_t frames_before() const { return frames_before_; }  // kAppend: already in the file
  uint64_t tail_cut() const { return tail_cut_; }           // kAppend: bytes of a cut record dropped

 private:
  static constexpr size_t kBufferBytes = 64 * 1024;
  void open_append();
  void write_header();
  void drain();  // writes the buffer out; on failure cuts back to the last whole record

  std::string path_;
  uint32_t snaplen_;
  int fd_ = -1;
  std::vector<uint8_t> buf_;
  uint64_t buffered_frames_ = 0;
  uint64_t committed_ = 0;  // file size up to the last whole record written
  uint64_t frames_ = 0, lost_ = 0, frames_before_ = 0, tail_cut_ = 0;
  std::string failed_;      // the first write error: later writes fail at once
};

}  // namespace broker::io
