// libFuzzer target for the engine's parsing and forwarding decisions (relay/native/src/
// classify.h, forward.h, gro.h, the address helpers of engine.cc), run by run.sh under ASan and
// UBSan. The input builds an allocation (channels, permissions, deadlines, a bucket) and
// a datagram; the checks are the engine's bounds contracts.
#include <cstdlib>
#include <cstring>
#include <string>

#include "../src/forward.h"
#include "../src/gro.h"

using namespace sovereign;

namespace {
struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t u8() {
    if (n == 0) return 0;
    n--;
    return *p++;
  }
  uint16_t u16() { return static_cast<uint16_t>((u8() << 8) | u8()); }
};

void check(bool ok) {
  if (!ok) abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  Alloc a;
  a.family = 4;
  a.hasClient = (r.u8() & 1) != 0;
  a.bucket.reset(static_cast<double>(r.u16()) * 16, 0);
  const int64_t now = static_cast<int64_t>(r.u16()) * 1000;
  const int channels = r.u8() % 5;
  for (int i = 0; i < channels; i++) {
    Channel c{};
    c.number = r.u16();
    c.peer.ip.family = 4;
    for (int k = 0; k < 4; k++) c.peer.ip.ip[k] = r.u8() & 0x3;  // few addresses: lookups hit
    c.peer.port = r.u8() & 0x3;
    c.deadlineNs = static_cast<int64_t>(r.u16()) * 1000;
    a.channels.push_back(c);
    if (r.u8() & 1) a.permissions.push_back(Permission{c.peer.ip, static_cast<int64_t>(r.u16()) * 1000});
  }
  Endpoint from{};
  from.ip.family = 4;
  for (int k = 0; k < 4; k++) from.ip.ip[k] = r.u8() & 0x3;
  from.port = r.u8() & 0x3;

  // The rest is the datagram, copied so ASan sees its exact end.
  const size_t len = r.n;
  uint8_t* buf = static_cast<uint8_t*>(malloc(len + 4));
  if (buf == nullptr) return 0;
  uint8_t* dgram = buf + 4;
  if (len > 0) memcpy(dgram, r.p, len);

  const Classified c = classify(dgram, len);
  if (c.kind == Kind::ChannelData) check(4u + c.length <= len);
  const Decision d = fromClient(&a, dgram, len, now);
  if (d.verdict == Verdict::Forward) {
    check(c.kind == Kind::ChannelData && d.length == c.length && 4u + d.length <= len);
    check(d.channel != nullptr && d.channel->deadlineNs > now && permitted(a, d.channel->peer.ip, now));
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < d.length; i++) sink = sink ^ dgram[4 + i];  // every forwarded byte is inside the datagram
    (void)sink;
  }
  check(fromClient(nullptr, dgram, len, now).verdict != Verdict::Forward);

  const Decision p = fromPeer(a, from, len, now);
  if (p.verdict == Verdict::Forward) {
    check(a.hasClient && len <= 0xffff && p.channel != nullptr && permitted(a, from.ip, now));
    check(writeChannelHeader(buf, p.channel->number, len));
    check(((buf[2] << 8) | buf[3]) == static_cast<int>(len));
  }

  // The datagram as a GRO buffer, its segment size taken from its first bytes: spread in a
  // buffer with exactly the room gro.h asks for, each segment must be the original's bytes.
  if (len >= 2) {
    const size_t segment = 1 + (static_cast<size_t>((dgram[0] << 8) | dgram[1]) % len);
    const int n = groSegments(len, segment);
    if (n > 0) {
      check(n >= 2 && n <= kGroMaxSegments);
      uint8_t* spread = static_cast<uint8_t*>(malloc(len + 4 * static_cast<size_t>(n - 1)));
      if (spread != nullptr) {
        memcpy(spread, dgram, len);
        groSpread(spread, len, segment, n);
        size_t total = 0;
        for (int k = 0; k < n; k++) {
          const size_t l = groSegmentLength(len, segment, n, k);
          check(l >= 1 && l <= segment);
          check(memcmp(spread + static_cast<size_t>(k) * (segment + 4), dgram + static_cast<size_t>(k) * segment, l) == 0);
          total += l;
        }
        check(total == len);
        free(spread);
      }
    }
  }

  // Address helpers: any text to makeEndpoint, any bytes back to text.
  Endpoint e;
  std::string text(reinterpret_cast<const char*>(dgram), len > 64 ? 64 : len);
  if (makeEndpoint(4, text, 3478, e)) check(e.ip.family == 4 && e.port == 3478);
  if (makeEndpoint(6, text, 0, e)) check(e.ip.family == 6);
  IpKey k;
  k.family = (len & 1) ? 6 : 4;
  for (size_t i = 0; i < 16 && i < len; i++) k.ip[i] = dgram[i];
  check(!ipString(k).empty());
  free(buf);
  return 0;
}
