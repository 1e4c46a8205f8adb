// The engine's only parser: what a datagram from a client is (RFC 8656 §12, RFC 7983).
// Pure and socket-free so that libFuzzer can drive it (relay/native/fuzz/).
#pragma once
#include <cstddef>
#include <cstdint>

namespace sovereign {

enum class Kind : uint8_t {
  // RFC 8656 §12.4: first two bits 0b01, a 4-byte header and at least `length` bytes after it.
  ChannelData,
  // First two bits 0b01 but shorter than its header or its own length field: discarded (§12.4).
  MalformedChannelData,
  // Anything else (STUN, garbage): the TypeScript server decides.
  Other,
};

struct Classified {
  Kind kind;
  uint16_t channel;
  uint16_t length;
};

// Never reads past data[size - 1]; every field is bounds-checked against `size`.
inline Classified classify(const uint8_t* data, size_t size) {
  if (size == 0 || (data[0] & 0xc0) != 0x40) return {Kind::Other, 0, 0};
  if (size < 4) return {Kind::MalformedChannelData, 0, 0};
  const uint16_t channel = static_cast<uint16_t>((data[0] << 8) | data[1]);
  const uint16_t length = static_cast<uint16_t>((data[2] << 8) | data[3]);
  // §12.4: over UDP padding may follow the data; fewer bytes than `length` is malformed.
  if (size - 4 < length) return {Kind::MalformedChannelData, channel, length};
  return {Kind::ChannelData, channel, length};
}

// Writes the 4-byte ChannelData header in front of a peer's datagram (§12.4).
inline bool writeChannelHeader(uint8_t* out, uint16_t channel, size_t length) {
  if (length > 0xffff) return false;
  out[0] = static_cast<uint8_t>(channel >> 8);
  out[1] = static_cast<uint8_t>(channel & 0xff);
  out[2] = static_cast<uint8_t>(length >> 8);
  out[3] = static_cast<uint8_t>(length & 0xff);
  return true;
}

}  // namespace sovereign
