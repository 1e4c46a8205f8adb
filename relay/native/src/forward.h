// What the engine does with one datagram, decided without sockets (RFC 8656 §12): pure
// functions over an allocation's installed entries, so the data threads and the fuzzer
// (relay/native/fuzz/) run the same code. Forward only what TypeScript installed.
#pragma once
#include <cstddef>
#include <cstdint>

#include "classify.h"
#include "engine.h"

namespace sovereign {

enum class Verdict : uint8_t { Forward, HandUp, DropMalformed, DropBandwidth };

struct Decision {
  Verdict verdict;
  const Channel* channel;  // Forward: the binding to send on
  uint16_t length;         // Forward from a client: payload bytes after the 4-byte header
};

inline const Channel* channelByNumber(const Alloc& a, uint16_t number) {
  for (const auto& c : a.channels) if (c.number == number) return &c;
  return nullptr;
}

inline const Channel* channelByPeer(const Alloc& a, const Endpoint& peer) {
  for (const auto& c : a.channels) if (c.peer.port == peer.port && c.peer.ip == peer.ip) return &c;
  return nullptr;
}

// §9: permissions are per IP address, the port is ignored.
inline bool permitted(const Alloc& a, const IpKey& ip, int64_t now) {
  for (const auto& p : a.permissions) if (p.ip == ip) return p.deadlineNs > now;
  return false;
}

// A datagram from a client; `a` is the allocation of its 5-tuple, or null. On Forward the
// caller sends bytes [4, 4 + length) to channel->peer; counters and tokens are taken here.
inline Decision fromClient(Alloc* a, const uint8_t* data, size_t size, int64_t now) {
  const Classified c = classify(data, size);
  if (c.kind == Kind::MalformedChannelData) return {Verdict::DropMalformed, nullptr, 0};
  if (c.kind != Kind::ChannelData || a == nullptr) return {Verdict::HandUp, nullptr, 0};
  // §12.5: an unbound (or expired) channel, or no permission: TypeScript decides (and drops).
  const Channel* ch = channelByNumber(*a, c.channel);
  if (ch == nullptr || ch->deadlineNs <= now || !permitted(*a, ch->peer.ip, now)) return {Verdict::HandUp, nullptr, 0};
  if (!a->bucket.take(c.length, now)) {
    a->counters.droppedBandwidth++;
    return {Verdict::DropBandwidth, nullptr, 0};
  }
  a->counters.toPeerBytes += c.length;
  a->counters.toPeerPackets++;
  return {Verdict::Forward, ch, c.length};
}

// A datagram of `size` bytes from `from` on a's relayed socket. On Forward the caller
// frames it as ChannelData on channel->number (§12.4) and sends it to the UDP client.
inline Decision fromPeer(Alloc& a, const Endpoint& from, size_t size, int64_t now) {
  // Only UDP clients are served natively; a datagram too long to frame goes up as well.
  if (!a.hasClient || size > 0xffff) return {Verdict::HandUp, nullptr, 0};
  const Channel* ch = channelByPeer(a, from);
  if (ch == nullptr || ch->deadlineNs <= now || !permitted(a, from.ip, now)) return {Verdict::HandUp, nullptr, 0};
  if (!a.bucket.take(size, now)) {
    a.counters.droppedBandwidth++;
    return {Verdict::DropBandwidth, nullptr, 0};
  }
  a.counters.toClientBytes += static_cast<double>(size);
  a.counters.toClientPackets++;
  return {Verdict::Forward, ch, static_cast<uint16_t>(size)};
}

}  // namespace sovereign
