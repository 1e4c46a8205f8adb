// The forwarding engine: N data threads, each with its own SO_REUSEPORT listener socket per
// UDP listen address and the relayed sockets of the allocations whose client it serves.
// It forwards ChannelData on installed channels both ways, counts, and applies the
// per-allocation token bucket; everything else is handed up to the TypeScript TurnServer.
// No policy lives here: entries exist only because TypeScript installed them.
//
// Locking: each thread holds its own mutex while it processes one batch; every table
// change from the JavaScript thread takes that mutex, so when a removal returns no batch
// can still use the entry (revocation is effective before the next batch).
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace sovereign {

struct IpKey {
  uint8_t family = 0;  // 4 or 6
  uint8_t ip[16] = {};
  bool operator==(const IpKey& o) const;
};

struct ClientKey {
  uint32_t listener = 0;
  uint16_t port = 0;
  IpKey ip;
  bool operator==(const ClientKey& o) const;
};

struct ClientKeyHash {
  size_t operator()(const ClientKey& k) const;
};

struct Endpoint {
  sockaddr_storage ss{};
  socklen_t len = 0;
  IpKey ip;
  uint16_t port = 0;
};

// Parses an IP literal of `family` (4 or 6) and a port; false when it is not one.
bool makeEndpoint(int family, const std::string& ip, uint16_t port, Endpoint& out);
// From a kernel address; false for a family other than AF_INET/AF_INET6.
bool endpointFrom(const sockaddr_storage& ss, socklen_t len, Endpoint& out);
std::string ipString(const IpKey& ip);

struct TokenBucket {
  double rate = 0;  // bytes per second
  double burst = 0;
  double tokens = 0;
  int64_t lastNs = 0;
  void reset(double bytesPerSecond, int64_t nowNs);
  bool take(size_t bytes, int64_t nowNs);
};

struct Counters {
  double toPeerBytes = 0, toPeerPackets = 0, toClientBytes = 0, toClientPackets = 0, droppedBandwidth = 0;
  bool any() const { return toPeerPackets + toClientPackets + droppedBandwidth > 0; }
};

struct Permission {
  IpKey ip;
  int64_t deadlineNs;
};

struct Channel {
  uint16_t number;
  Endpoint peer;
  int64_t deadlineNs;
};

struct Alloc {
  uint32_t id = 0;
  uint32_t thread = 0;
  int fd = -1;
  uint64_t token = 0;
  int family = 4;
  // Set for UDP clients only: TCP/TLS clients' traffic always goes through TypeScript.
  bool hasClient = false;
  ClientKey clientKey;
  Endpoint client;
  std::vector<Permission> permissions;
  std::vector<Channel> channels;
  TokenBucket bucket;
  Counters counters;
};

struct DropCounts {
  uint64_t bandwidth = 0, malformed = 0, truncated = 0, sendFailed = 0, handUpFull = 0;
};

struct ThreadStats {
  uint64_t rxPackets = 0, rxBytes = 0, txPackets = 0, txBytes = 0;
  uint64_t batches = 0, batchedPackets = 0, maxBatch = 0, handedUp = 0;
  // Hand-up batches queued for TypeScript, and wake-ups after which the thread waited for
  // TypeScript to catch up (DataThread::awaitTypeScript) instead of going back to epoll.
  uint64_t handUpBatches = 0, handUpWaits = 0;
  // Send syscalls (sendmmsg), the messages they carried, and of those the UDP GSO ones
  // (one message, several datagrams: gsoDatagrams in all); gsoFallbacks: GSO messages the
  // kernel refused (EIO/EINVAL), sent again one datagram each.
  uint64_t sendCalls = 0, sendMessages = 0, gsoMessages = 0, gsoDatagrams = 0, gsoFallbacks = 0;
  // Buffers received from peers coalesced by UDP GRO, and the datagrams they held.
  uint64_t groMessages = 0, groDatagrams = 0;
  DropCounts drops;
};

// One packet handed up to TypeScript. `ref` is the listener index (kind 0: from a client)
// or the allocation id (kind 1: from a peer on a relayed socket).
struct HandUpPacket {
  uint8_t kind;
  uint32_t ref;
  uint8_t family;
  IpKey ip;
  uint16_t port;
  uint32_t offset;
  uint32_t length;
};

struct HandUpBatch {
  uint32_t thread = 0;
  std::vector<HandUpPacket> packets;
  std::vector<uint8_t> data;
};

// Returns false when the batch could not be queued (the engine then frees it and counts).
using HandUp = std::function<bool(HandUpBatch*)>;

class DataThread;

class Engine {
 public:
  Engine(uint32_t threads, HandUp handUp);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  uint32_t threads() const { return static_cast<uint32_t>(threads_.size()); }
  void start();
  // One SO_REUSEPORT socket per thread on host:port (0: a free port). Returns the listener
  // index, or -errno; `boundPort` receives the port. `shared`: join a port other relay
  // processes hold with SO_REUSEPORT too (--reuse-port) instead of refusing it.
  int listen(int family, const std::string& host, uint16_t port, int bufferBytes, uint16_t& boundPort, bool shared = false);
  // Closes a listener's sockets (a port-0 pair whose TCP twin was taken).
  void closeListener(uint32_t listener);
  // Binds an allocation's relayed socket on `thread`. Returns 0 or -errno.
  int bindRelay(uint32_t id, uint32_t thread, int family, const std::string& host, uint16_t port, int bufferBytes, double bandwidth);
  // Where the allocation's UDP client is, so peer data can go to it natively.
  bool setClient(uint32_t id, uint32_t listener, const std::string& ip, uint16_t port);
  // ttlMs <= 0 removes. False when the allocation or the address is unknown.
  bool setPermission(uint32_t id, const std::string& ip, double ttlMs);
  bool setChannel(uint32_t id, uint16_t number, const std::string& ip, uint16_t port, double ttlMs);
  // Takes `bytes` from the allocation's token bucket (the one the data threads use), for
  // what TypeScript relays itself (Send/Data indications, TCP clients): one bucket per
  // allocation. 1: taken, 0: refused, -1: unknown allocation.
  int takeTokens(uint32_t id, size_t bytes);
  // Removes the allocation and closes its socket; returns its last counters.
  bool closeRelay(uint32_t id, Counters& last);
  // Sends from the JavaScript thread (STUN responses, Data indications, Send indications).
  int sendClient(uint32_t listener, const std::string& ip, uint16_t port, const uint8_t* data, size_t length);
  int sendPeer(uint32_t id, const std::string& ip, uint16_t port, const uint8_t* data, size_t length);
  // TypeScript has run a hand-up batch of `thread` (see DataThread::awaitTypeScript).
  void handUpDone(uint32_t thread);
  // Moves every allocation's counters out (id, counters) and resets them.
  void collect(std::vector<std::pair<uint32_t, Counters>>& out);
  void stats(std::vector<ThreadStats>& out, std::vector<double>& cpuSeconds);
  size_t relaySockets() const { return allocs_.size(); }
  // Stops the threads and closes every socket. Idempotent.
  void close();
  bool closed() const { return closed_; }

 private:
  friend class DataThread;
  HandUp handUp_;
  std::vector<std::unique_ptr<DataThread>> threads_;
  // JavaScript thread only.
  std::unordered_map<uint32_t, std::unique_ptr<Alloc>> allocs_;
  std::vector<int> listenerFamilies_;
  uint64_t nextToken_ = 1;
  bool started_ = false;
  bool closed_ = false;
};

int64_t monotonicNs();
// Whether this kernel takes UDP_SEGMENT (UDP GSO, Linux >= 4.18); probed once.
bool udpGsoSupported();

}  // namespace sovereign
