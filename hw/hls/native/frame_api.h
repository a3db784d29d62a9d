// Per-frame entry points into the core's own functions (the parser layers, the key, the
// hashes), for tests, tools and the fuzzer that look at one frame at a time. They compute
// nothing themselves: each calls the same functions the tasks run.
#pragma once
#include <stdint.h>

#include "frame_result.h"
#include "hash.h"
#include "key_layout.h"

namespace broker {
namespace core {

// hdr: the frame's first min(frame_len, kParseBytes) bytes (nothing past that is read);
// frame_len: the whole frame's length. The verdicts are settled for that length.
void parse_frame(const uint8_t* hdr, uint32_t frame_len, PacketFields& out);

// The 96-byte key of parsed fields for a tuple mask (TupleBit) and symmetric flag.
void build_key(const PacketFields& f, uint8_t in_port, uint16_t tuple_mask, bool symmetric,
               uint8_t key[kKeyBytes]);

}  // namespace core
}  // namespace broker
