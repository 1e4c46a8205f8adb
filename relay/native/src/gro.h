// UDP GRO on relayed sockets (Linux >= 5.0, UDP_GRO): a burst that a peer sent as one UDP
// GSO message, as another relay does, arrives as one buffer of equal segments (the last may
// be shorter) with the segment size in a cmsg. Each segment is one datagram of the peer's.
// To forward segment k as ChannelData it needs 4 bytes in front of it for the header, so the
// segments are spread apart in place, from the last: segment k moves from k * segment to
// k * (segment + 4). Sans-IO: the data thread reads the buffer, this lays it out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sovereign {

// The kernel coalesces at most 64 segments (UDP_GRO_CNT_MAX); anything more is refused here.
constexpr int kGroMaxSegments = 64;
// What spreading needs beyond the buffer: 4 bytes per segment after the first.
constexpr size_t kGroSpreadBytes = 4 * kGroMaxSegments;

// How many segments a coalesced buffer of `size` bytes holds at `segment` bytes each; 0 when
// it is not a coalesced buffer we can take (no segment size, one segment, or too many).
inline int groSegments(size_t size, size_t segment) {
  if (segment == 0 || segment >= size) return 0;
  const size_t n = (size + segment - 1) / segment;
  return n <= static_cast<size_t>(kGroMaxSegments) ? static_cast<int>(n) : 0;
}

// Length of segment k of n.
inline size_t groSegmentLength(size_t size, size_t segment, int n, int k) {
  return k == n - 1 ? size - static_cast<size_t>(n - 1) * segment : segment;
}

// Spreads the n segments of `base[0, size)` to base + k * (segment + 4); `base` must have
// room for size + 4 * (n - 1) bytes (kGroSpreadBytes beyond the largest buffer).
inline void groSpread(uint8_t* base, size_t size, size_t segment, int n) {
  for (int k = n - 1; k >= 1; k--) {
    const size_t at = static_cast<size_t>(k) * segment;
    std::memmove(base + at + 4 * static_cast<size_t>(k), base + at, groSegmentLength(size, segment, n, k));
  }
}

}  // namespace sovereign
