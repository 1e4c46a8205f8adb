#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <netinet/udp.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "classify.h"
#include "forward.h"
#include "gro.h"

namespace sovereign {

namespace {
// epoll tokens: 0 is the wake-up eventfd, the high bit marks a listener (its index below).
constexpr uint64_t kWake = 0;
constexpr uint64_t kListenerBit = 1ull << 63;
// recvmmsg/sendmmsg batch size: coturn's profile shows the syscall, not the copy, dominates.
constexpr int kBatch = 64;
// Room for any UDP payload (65,507 on IPv4) plus the 4-byte ChannelData header in front, and
// behind it the room to spread a GRO buffer's segments apart (gro.h).
constexpr size_t kSlotPayload = 65536;
constexpr size_t kSlot = 4 + kSlotPayload + kGroSpreadBytes;
// Hand-up batches bigger than this are sent in several pieces; with the queue bound of
// addon.cc (512 batches) a stalled JavaScript thread costs at most ~32 MiB, then drops.
constexpr size_t kHandUpMaxBytes = 64 * 1024;
// A listener that filled every free slot is read again in the same wake-up (no epoll_wait
// in between), at most this many times, so relayed sockets still get their turn.
constexpr int kListenerRereads = 4;
// While TypeScript has not finished a hand-up batch of this thread, the thread waits for
// it (at most this long) instead of waking for each datagram that arrives meanwhile: see
// DataThread::awaitTypeScript.
constexpr auto kHandUpWait = std::chrono::microseconds(500);
// The scheduler slice a data thread asks for (EEVDF, Linux >= 6.12; the minimum is 0.1 ms).
constexpr uint64_t kDataThreadSliceNs = 100'000;
// A thread that forwarded media this recently never waits for TypeScript.
constexpr int64_t kMediaRecentNs = 20'000'000;
#ifndef UDP_SEGMENT
constexpr int UDP_SEGMENT = 103;
#endif
#ifndef SOL_UDP
constexpr int SOL_UDP = 17;
#endif
#ifndef UDP_GRO
constexpr int UDP_GRO = 104;
#endif
// UDP GSO: at most 64 segments per send (UDP_MAX_SEGMENTS on older kernels) and a total
// that fits one UDP datagram's length field.
constexpr int kGsoMaxSegments = 64;
constexpr size_t kGsoMaxBytes = 65507;
// GSO messages refused (EINVAL) in a row before a data thread stops trying GSO.
constexpr int kGsoMaxRefusedInARow = 16;
}  // namespace

// Whether this kernel knows a UDP-level socket option (asked once per option of a throwaway socket).
static bool udpOptionKnown(int option) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int value = 0;
  socklen_t len = sizeof value;
  const bool ok = getsockopt(fd, SOL_UDP, option, &value, &len) == 0;
  ::close(fd);
  return ok;
}

// `name`=0 in the environment turns an offload off (A/B measurements, a kernel that misbehaves).
static bool turnedOff(const char* name) {
  const char* v = getenv(name);
  return v != nullptr && std::strcmp(v, "0") == 0;
}

bool udpGsoSupported() {
  static const bool supported = udpOptionKnown(UDP_SEGMENT);
  return supported;
}

// SOVEREIGN_NATIVE_GSO=0 turns UDP GSO off; read when a data thread starts.
static bool gsoWanted() { return udpGsoSupported() && !turnedOff("SOVEREIGN_NATIVE_GSO"); }

// UDP GRO on relayed sockets (Linux >= 5.0); SOVEREIGN_NATIVE_GRO=0 turns it off. Decided
// once per process: the relayed sockets that ask for it and the data threads that read its
// cmsg must agree.
static bool groWanted() {
  static const bool wanted = udpOptionKnown(UDP_GRO) && !turnedOff("SOVEREIGN_NATIVE_GRO");
  return wanted;
}

int64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool IpKey::operator==(const IpKey& o) const { return family == o.family && std::memcmp(ip, o.ip, 16) == 0; }
bool ClientKey::operator==(const ClientKey& o) const { return listener == o.listener && port == o.port && ip == o.ip; }
size_t ClientKeyHash::operator()(const ClientKey& k) const {
  // FNV-1a over the key's bytes: cheap and good enough for a table keyed by client tuples.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  };
  mix(reinterpret_cast<const uint8_t*>(&k.listener), sizeof k.listener);
  mix(reinterpret_cast<const uint8_t*>(&k.port), sizeof k.port);
  mix(&k.ip.family, 1);
  mix(k.ip.ip, k.ip.family == 4 ? 4 : 16);
  return static_cast<size_t>(h);
}

bool makeEndpoint(int family, const std::string& ip, uint16_t port, Endpoint& out) {
  out = Endpoint{};
  if (family == 4) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&out.ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    if (inet_pton(AF_INET, ip.c_str(), &sa->sin_addr) != 1) return false;
    out.len = sizeof(sockaddr_in);
    out.ip.family = 4;
    std::memcpy(out.ip.ip, &sa->sin_addr, 4);
  } else if (family == 6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&out.ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    if (inet_pton(AF_INET6, ip.c_str(), &sa->sin6_addr) != 1) return false;
    out.len = sizeof(sockaddr_in6);
    out.ip.family = 6;
    std::memcpy(out.ip.ip, &sa->sin6_addr, 16);
  } else {
    return false;
  }
  out.port = port;
  return true;
}

bool endpointFrom(const sockaddr_storage& ss, socklen_t len, Endpoint& out) {
  out.ss = ss;
  out.len = len;
  out.ip = IpKey{};
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* sa = reinterpret_cast<const sockaddr_in*>(&ss);
    out.ip.family = 4;
    std::memcpy(out.ip.ip, &sa->sin_addr, 4);
    out.port = ntohs(sa->sin_port);
    return true;
  }
  if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* sa = reinterpret_cast<const sockaddr_in6*>(&ss);
    out.ip.family = 6;
    std::memcpy(out.ip.ip, &sa->sin6_addr, 16);
    out.port = ntohs(sa->sin6_port);
    return true;
  }
  return false;
}

std::string ipString(const IpKey& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip.family == 4 ? AF_INET : AF_INET6, ip.ip, buf, sizeof buf);
  return buf;
}

void TokenBucket::reset(double bytesPerSecond, int64_t nowNs) {
  rate = bytesPerSecond;
  burst = bytesPerSecond;  // one second's worth, as relay/server/token-bucket.ts
  tokens = burst;
  lastNs = nowNs;
}

bool TokenBucket::take(size_t bytes, int64_t nowNs) {
  if (nowNs > lastNs) {
    tokens = std::min(burst, tokens + static_cast<double>(nowNs - lastNs) * rate / 1e9);
    lastNs = nowNs;
  }
  if (tokens < static_cast<double>(bytes)) return false;
  tokens -= static_cast<double>(bytes);
  return true;
}

// ---- one data thread -----------------------------------------------------------------------

class DataThread {
  // One datagram queued for sending in this wake-up.
  struct OutMsg {
    int fd;
    uint8_t* data;
    size_t length;
    const Endpoint* to;
  };

  // One message of a sendmmsg: out_[first, first + segments) (segments > 1: UDP GSO).
  struct SendMsg {
    int first;
    int segments;
  };

 public:
  DataThread(Engine& engine, uint32_t index) : engine_(engine), index_(index) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    wakefd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWake;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  }

  ~DataThread() {
    stop();
    for (int fd : listenerFds_) if (fd >= 0) ::close(fd);
    if (epfd_ >= 0) ::close(epfd_);
    if (wakefd_ >= 0) ::close(wakefd_);
  }

  bool ok() const { return epfd_ >= 0 && wakefd_ >= 0; }

  void start() {
    thread_ = std::thread([this] { run(); });
    // Named for top -H, perf and gdb (at most 15 characters).
    const std::string name = "sr-data-" + std::to_string(index_);
    pthread_setname_np(thread_.native_handle(), name.substr(0, 15).c_str());
  }

  void stop() {
    if (!thread_.joinable()) return;
    stopping_.store(true);
    {
      std::lock_guard<std::mutex> lock(handUpMu_);
      handUpCv_.notify_all();
    }
    uint64_t one = 1;
    ssize_t w = write(wakefd_, &one, sizeof one);
    (void)w;
    thread_.join();
  }

  double cpuSeconds() {
    if (!thread_.joinable()) return finalCpu_;
    clockid_t cid;
    if (pthread_getcpuclockid(thread_.native_handle(), &cid) != 0) return 0;
    timespec ts;
    if (clock_gettime(cid, &ts) != 0) return 0;
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  }

  // Called with mu_ held (or before start).
  void addListener(uint32_t listener, int fd) {
    if (listenerFds_.size() <= listener) listenerFds_.resize(listener + 1, -1);
    listenerFds_[listener] = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerBit | listener;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  }

  void removeListener(uint32_t listener) {
    if (listener >= listenerFds_.size() || listenerFds_[listener] < 0) return;
    epoll_ctl(epfd_, EPOLL_CTL_DEL, listenerFds_[listener], nullptr);
    ::close(listenerFds_[listener]);
    listenerFds_[listener] = -1;
  }

  int listenerFd(uint32_t listener) const { return listener < listenerFds_.size() ? listenerFds_[listener] : -1; }

  // Called with mu held: the entry is findable before its socket can wake this thread.
  void addRelay(Alloc* a) { byToken_[a->token] = a; }

  // Not under mu: epoll is thread-safe, and the token is in byToken_ already, so the
  // first readiness this reports finds its entry (the socket was bound just before).
  int watchRelay(Alloc* a) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = a->token;
    return epoll_ctl(epfd_, EPOLL_CTL_ADD, a->fd, &ev) == 0 ? 0 : -errno;
  }

  // Called with mu held. No EPOLL_CTL_DEL: closing the socket (the engine's only
  // descriptor of it, CLOEXEC, never duplicated) takes it out of the epoll set, and a
  // readiness already collected for its token finds no entry and is skipped (tokens are
  // never reused). Were a fork to hold the descriptor until its exec, the stale readiness
  // would be skipped the same way until then.
  void removeRelay(Alloc* a) {
    byToken_.erase(a->token);
    if (a->hasClient) {
      auto it = byClient_.find(a->clientKey);
      if (it != byClient_.end() && it->second == a) byClient_.erase(it);
    }
  }

  void setClient(Alloc* a) { byClient_[a->clientKey] = a; }

  std::mutex mu;
  ThreadStats stats;
  std::atomic<uint64_t> handUpFull_{0};
  // Kept apart from `stats` (which mu guards): hand-ups also happen outside mu.
  std::atomic<uint64_t> handUpBatches_{0};
  std::atomic<uint64_t> handUpWaits_{0};

 private:
  void run() {
    preferShortSlices();
    epoll_event events[kBatch];
    for (;;) {
      int n = epoll_wait(epfd_, events, kBatch, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      std::unique_ptr<HandUpBatch> up;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stopping_.load()) break;
        // One clock read per wake-up: a wake-up's work takes microseconds, far below what
        // deadlines (seconds) and the token bucket (one second of burst) can tell apart.
        now_ = monotonicNs();
        for (int i = 0; i < n; i++) {
          uint64_t token = events[i].data.u64;
          if (token == kWake) {
            uint64_t v;
            ssize_t r = read(wakefd_, &v, sizeof v);
            (void)r;
            continue;
          }
          if (token & kListenerBit) {
            uint32_t listener = static_cast<uint32_t>(token & ~kListenerBit);
            int fd = listenerFd(listener);
            // Level-triggered: what is left is seen on the next epoll_wait; a listener that
            // filled the batch most likely has more, so it is read again right away.
            for (int round = 0; fd >= 0 && round < kListenerRereads && readListener(listener, fd, up); round++) {
            }
          } else {
            auto it = byToken_.find(token);
            if (it != byToken_.end()) readRelay(it->second, up);
          }
        }
        flushSends();
      }
      if (up) {
        const bool behind = handUp(std::move(up)) > 0;
        // Only on a thread that has forwarded no media lately: media wakes the thread anyway,
        // so with media flowing the wait would save few wake-ups and delay the media
        // (measured: the same CPU, p50 +60 us, during a storm of allocations beside media).
        if (behind && now_ - lastForwardNs_ > kMediaRecentNs) awaitTypeScript();
      }
    }
    finalCpu_ = cpuSecondsSelf();
  }

 public:
  // TypeScript has run one of this thread's hand-up batches (addon.cc, on its thread).
  void handUpDone() {
    std::lock_guard<std::mutex> lock(handUpMu_);
    if (handUpsInFlight_ > 0 && --handUpsInFlight_ == 0) handUpCv_.notify_one();
  }

 private:
  // TypeScript is behind (a batch handed up earlier is still unprocessed) and the thread
  // has forwarded no media for kMediaRecentNs: rather than go back to epoll_wait and be
  // woken, and switched to, for every datagram that arrives while it works — on a busy core
  // each such wake-up preempts the JavaScript thread — wait until it has caught up, then
  // take everything that arrived meanwhile in one wake-up. The wait is bounded
  // (kHandUpWait); a thread whose hand-ups are processed promptly, or that is forwarding
  // media, never waits.
  void awaitTypeScript() {
    handUpWaits_.fetch_add(1, std::memory_order_relaxed);
    std::unique_lock<std::mutex> lock(handUpMu_);
    handUpCv_.wait_for(lock, kHandUpWait, [this] { return handUpsInFlight_ == 0 || stopping_.load(); });
  }

  // Linux >= 6.12 (EEVDF custom slices): ask for a short slice, so that a datagram waking
  // this thread preempts a JavaScript thread in the middle of its slice on the same core
  // (PREEMPT_SHORT) instead of waiting for that slice to end, which under a storm of
  // requests is milliseconds of forwarding latency. The thread runs in short bursts, so
  // it gives up nothing. Older kernels refuse or ignore it; either way nothing else changes.
  static void preferShortSlices() {
    struct {
      uint32_t size, policy;
      uint64_t flags;
      int32_t nice;
      uint32_t priority;
      uint64_t runtime, deadline, period;
    } attr{};
    attr.size = sizeof attr;
    attr.policy = 0;  // SCHED_OTHER
    attr.nice = getpriority(PRIO_PROCESS, 0);
    attr.runtime = kDataThreadSliceNs;
    long r = syscall(SYS_sched_setattr, 0, &attr, 0u);
    (void)r;
  }

  static double cpuSecondsSelf() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  }

  // Receives into the free slots after those whose sends are still queued: sends from
  // every socket read in one wake-up leave together (one sendmmsg per destination socket
  // instead of one per relayed socket that was readable). Returns how many arrived;
  // `base` is the first slot used, `full` whether they filled every slot offered.
  int receive(int fd, int& base, bool& full, bool gro = false) {
    full = false;
    if (slotNext_ == kBatch) flushSends();
    base = slotNext_;
    for (int i = base; i < kBatch; i++) {
      iov_[i].iov_base = slots_.get() + static_cast<size_t>(i) * kSlot + 4;
      iov_[i].iov_len = kSlotPayload;
      msgs_[i].msg_hdr.msg_iov = &iov_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
      msgs_[i].msg_hdr.msg_name = &from_[i];
      msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs_[i].msg_hdr.msg_control = gro ? rxControl_[i] : nullptr;
      msgs_[i].msg_hdr.msg_controllen = gro ? sizeof rxControl_[i] : 0;
      msgs_[i].msg_hdr.msg_flags = 0;
      msgs_[i].msg_len = 0;
    }
    int n = recvmmsg(fd, msgs_ + base, static_cast<unsigned>(kBatch - base), MSG_DONTWAIT, nullptr);
    if (n <= 0) return 0;
    full = n == kBatch - base;
    slotNext_ += n;
    stats.batches++;
    stats.batchedPackets += static_cast<uint64_t>(n);
    stats.maxBatch = std::max<uint64_t>(stats.maxBatch, static_cast<uint64_t>(n));
    stats.rxPackets += static_cast<uint64_t>(n);
    for (int i = base; i < base + n; i++) stats.rxBytes += msgs_[i].msg_len;
    return n;
  }

  uint8_t* payload(int i) { return slots_.get() + static_cast<size_t>(i) * kSlot + 4; }

  void queueSend(int fd, uint8_t* data, size_t length, const Endpoint& to) {
    // One slot queues one send, except a GRO buffer (up to kGroMaxSegments): send what is
    // queued so far, keeping the slots (the rest of this batch is still being read).
    if (outCount_ == kBatch) sendQueued();
    OutMsg& o = out_[outCount_++];
    o.fd = fd;
    o.data = data;
    o.length = length;
    o.to = &to;
  }

  static bool sameDestination(const Endpoint& a, const Endpoint& b) {
    return &a == &b || (a.port == b.port && a.ip == b.ip);
  }

  // Sends everything queued in this wake-up. Messages are grouped by socket (stable, so
  // each destination keeps its order): one sendmmsg per socket, not per run of equal
  // sockets in arrival order. Within a socket, consecutive datagrams to one destination
  // of one size (the last may be shorter) leave as one UDP GSO message (UDP_SEGMENT):
  // the kernel cuts it into the same datagrams, for one pass through the stack.
  void flushSends() {
    sendQueued();
    slotNext_ = 0;
  }

  void sendQueued() {
    // Insertion sort: stable, no allocation, and linear on what is mostly runs already.
    for (int k = 1; k < outCount_; k++) {
      if (out_[k - 1].fd <= out_[k].fd) continue;
      const OutMsg m = out_[k];
      int p = k;
      while (p > 0 && out_[p - 1].fd > m.fd) {
        out_[p] = out_[p - 1];
        p--;
      }
      out_[p] = m;
    }
    int i = 0;
    while (i < outCount_) {
      const int fd = out_[i].fd;
      int j = i;
      int count = 0;
      // Build this socket's messages; sendIov_ holds the datagrams in order, so a GSO
      // message's iovecs are contiguous.
      while (j < outCount_ && out_[j].fd == fd) {
        const int first = j;
        size_t total = out_[j].length;
        const size_t segment = out_[j].length;
        j++;
        if (gso_ && segment > 0) {
          while (j < outCount_ && out_[j].fd == fd && j - first < kGsoMaxSegments && sameDestination(*out_[j].to, *out_[first].to) &&
                 out_[j].length > 0 && out_[j].length <= segment && total + out_[j].length <= kGsoMaxBytes) {
            total += out_[j].length;
            j++;
            if (out_[j - 1].length < segment) break;  // a shorter datagram ends the message
          }
        }
        SendMsg& sm = send_[count];
        sm.first = first;
        sm.segments = j - first;
        mmsghdr& m = sendMsgs_[count];
        std::memset(&m, 0, sizeof m);
        for (int k = first; k < j; k++) {
          sendIov_[k].iov_base = out_[k].data;
          sendIov_[k].iov_len = out_[k].length;
        }
        m.msg_hdr.msg_iov = &sendIov_[first];
        m.msg_hdr.msg_iovlen = static_cast<size_t>(j - first);
        m.msg_hdr.msg_name = const_cast<sockaddr_storage*>(&out_[first].to->ss);
        m.msg_hdr.msg_namelen = out_[first].to->len;
        if (sm.segments > 1) {
          std::memset(control_[count], 0, sizeof control_[count]);
          m.msg_hdr.msg_control = control_[count];
          m.msg_hdr.msg_controllen = sizeof control_[count];
          cmsghdr* c = CMSG_FIRSTHDR(&m.msg_hdr);
          c->cmsg_level = SOL_UDP;
          c->cmsg_type = UDP_SEGMENT;
          c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
          const uint16_t size = static_cast<uint16_t>(segment);
          std::memcpy(CMSG_DATA(c), &size, sizeof size);
        }
        count++;
      }
      sendAll(fd, count);
      i = j;
    }
    outCount_ = 0;
  }

  void countSent(const SendMsg& sm) {
    stats.txPackets += static_cast<uint64_t>(sm.segments);
    for (int k = sm.first; k < sm.first + sm.segments; k++) stats.txBytes += out_[k].length;
    if (sm.segments > 1) {
      stats.gsoMessages++;
      stats.gsoDatagrams += static_cast<uint64_t>(sm.segments);
    }
  }

  void sendAll(int fd, int count) {
    int sent = 0;
    while (sent < count) {
      stats.sendCalls++;
      int r = sendmmsg(fd, sendMsgs_ + sent, static_cast<unsigned>(count - sent), MSG_DONTWAIT);
      if (r < 0) {
        const int err = errno;
        const SendMsg& sm = send_[sent];
        if (sm.segments > 1 && (err == EIO || err == EINVAL || err == ENOPROTOOPT || err == EOPNOTSUPP)) {
          // The kernel (or the device: EIO without checksum offload) refused the GSO
          // message: send its datagrams one by one. EINVAL can be one destination's (a
          // segment over its route's MTU); after EIO, or refusals in a row, GSO stops on
          // this thread.
          stats.gsoFallbacks++;
          if (err != EINVAL || ++gsoRefusedInARow_ >= kGsoMaxRefusedInARow) gso_ = false;
          sendSegments(fd, sendMsgs_[sent], sm);
        } else {
          // The first message failed (a full buffer, an ICMP error on the socket): drop it, go on.
          stats.drops.sendFailed += static_cast<uint64_t>(sm.segments);
        }
        sent++;
        continue;
      }
      stats.sendMessages += static_cast<uint64_t>(r);
      for (int k = sent; k < sent + r; k++) {
        if (send_[k].segments > 1) gsoRefusedInARow_ = 0;
        countSent(send_[k]);
      }
      sent += r;
    }
  }

  void sendSegments(int fd, const mmsghdr& gso, const SendMsg& sm) {
    mmsghdr one[kGsoMaxSegments];
    for (int k = 0; k < sm.segments; k++) {
      std::memset(&one[k], 0, sizeof one[k]);
      one[k].msg_hdr.msg_iov = &sendIov_[sm.first + k];
      one[k].msg_hdr.msg_iovlen = 1;
      one[k].msg_hdr.msg_name = gso.msg_hdr.msg_name;
      one[k].msg_hdr.msg_namelen = gso.msg_hdr.msg_namelen;
    }
    int sent = 0;
    while (sent < sm.segments) {
      stats.sendCalls++;
      int r = sendmmsg(fd, one + sent, static_cast<unsigned>(sm.segments - sent), MSG_DONTWAIT);
      if (r < 0) {
        stats.drops.sendFailed++;
        sent++;
        continue;
      }
      stats.sendMessages += static_cast<uint64_t>(r);
      stats.txPackets += static_cast<uint64_t>(r);
      for (int k = sent; k < sent + r; k++) stats.txBytes += sendIov_[sm.first + k].iov_len;
      sent += r;
    }
  }

  void addHandUp(std::unique_ptr<HandUpBatch>& up, uint8_t kind, uint32_t ref, const Endpoint& from, const uint8_t* data, size_t length) {
    if (!up) {
      up = std::make_unique<HandUpBatch>();
      up->thread = index_;
    }
    if (up->data.size() + length > kHandUpMaxBytes) {
      handUp(std::move(up));
      up = std::make_unique<HandUpBatch>();
      up->thread = index_;
    }
    HandUpPacket p{kind, ref, from.ip.family, from.ip, from.port, static_cast<uint32_t>(up->data.size()), static_cast<uint32_t>(length)};
    up->packets.push_back(p);
    up->data.insert(up->data.end(), data, data + length);
    stats.handedUp++;
  }

  // Returns how many of this thread's batches TypeScript had not yet run before this one.
  uint32_t handUp(std::unique_ptr<HandUpBatch> up) {
    size_t n = up->packets.size();
    HandUpBatch* raw = up.release();
    uint32_t before;
    {
      // Counted before it is queued: TypeScript may run it (handUpDone) before handUp_ returns.
      std::lock_guard<std::mutex> lock(handUpMu_);
      before = handUpsInFlight_++;
    }
    if (!engine_.handUp_(raw)) {
      // TypeScript is behind: drop rather than queue without bound (counted).
      delete raw;
      handUpFull_.fetch_add(n);
      handUpDone();
      return before;
    }
    handUpBatches_.fetch_add(1, std::memory_order_relaxed);
    return before;
  }

  // Datagrams from clients on a listener: ChannelData on an installed channel goes to the
  // peer from the allocation's relayed socket; everything else goes up to TypeScript.
  // Returns whether the read filled every free slot (more is probably waiting).
  bool readListener(uint32_t listener, int fd, std::unique_ptr<HandUpBatch>& up) {
    int base = 0;
    bool full = false;
    int n = receive(fd, base, full);
    if (n == 0) return false;
    const int64_t now = now_;
    ClientKey key;
    key.listener = listener;
    for (int i = base; i < base + n; i++) {
      uint8_t* data = payload(i);
      const size_t size = msgs_[i].msg_len;
      if (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) {
        stats.drops.truncated++;
        continue;
      }
      Endpoint from;
      if (!endpointFrom(from_[i], msgs_[i].msg_hdr.msg_namelen, from)) continue;
      Alloc* a = nullptr;
      if (size > 0 && (data[0] & 0xc0) == 0x40) {
        key.port = from.port;
        key.ip = from.ip;
        auto it = byClient_.find(key);
        if (it != byClient_.end()) a = it->second;
      }
      const Decision d = fromClient(a, data, size, now);
      switch (d.verdict) {
        case Verdict::Forward:
          queueSend(a->fd, data + 4, d.length, d.channel->peer);
          lastForwardNs_ = now;
          break;
        case Verdict::DropMalformed: stats.drops.malformed++; break;
        case Verdict::DropBandwidth: stats.drops.bandwidth++; break;
        case Verdict::HandUp: addHandUp(up, 0, listener, from, data, size); break;
      }
    }
    return full;
  }

  // Datagrams from peers on a relayed socket: on a bound channel of a UDP client they go
  // to the client as ChannelData, framed in place in the 4 bytes kept in front.
  void readRelay(Alloc* a, std::unique_ptr<HandUpBatch>& up) {
    int base = 0;
    bool full = false;
    int n = receive(a->fd, base, full, gro_);
    if (n == 0) return;
    const int64_t now = now_;
    const int clientFd = a->hasClient ? listenerFd(a->clientKey.listener) : -1;
    for (int i = base; i < base + n; i++) {
      uint8_t* data = payload(i);
      const size_t size = msgs_[i].msg_len;
      if (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) {
        stats.drops.truncated++;
        continue;
      }
      Endpoint from;
      if (!endpointFrom(from_[i], msgs_[i].msg_hdr.msg_namelen, from)) continue;
      const size_t segment = groSegmentSize(msgs_[i].msg_hdr);
      if (segment == 0 || segment >= size) {  // one datagram
        fromPeerDatagram(*a, clientFd, from, data, size, now, up);
        continue;
      }
      // Several of the peer's datagrams in one buffer: each is forwarded (and counted,
      // and metered) as the datagram it was.
      const int segments = groSegments(size, segment);
      if (segments == 0) {  // more than the kernel ever coalesces: not ours to guess
        stats.drops.malformed++;
        continue;
      }
      groSpread(data, size, segment, segments);
      stats.groMessages++;
      stats.groDatagrams += static_cast<uint64_t>(segments);
      stats.rxPackets += static_cast<uint64_t>(segments - 1);
      stats.batchedPackets += static_cast<uint64_t>(segments - 1);
      for (int k = 0; k < segments; k++) {
        fromPeerDatagram(*a, clientFd, from, data + static_cast<size_t>(k) * (segment + 4), groSegmentLength(size, segment, segments, k), now, up);
      }
    }
  }

  // One datagram from a peer on a relayed socket, at `data` with 4 bytes of room before it.
  void fromPeerDatagram(Alloc& a, int clientFd, const Endpoint& from, uint8_t* data, size_t size, int64_t now, std::unique_ptr<HandUpBatch>& up) {
    const Decision d = clientFd >= 0 ? fromPeer(a, from, size, now) : Decision{Verdict::HandUp, nullptr, 0};
    switch (d.verdict) {
      case Verdict::Forward:
        writeChannelHeader(data - 4, d.channel->number, size);
        queueSend(clientFd, data - 4, size + 4, a.client);
        lastForwardNs_ = now;
        break;
      case Verdict::DropBandwidth: stats.drops.bandwidth++; break;
      case Verdict::DropMalformed: stats.drops.malformed++; break;
      case Verdict::HandUp: addHandUp(up, 1, a.id, from, data, size); break;
    }
  }

  // The segment size of a GRO buffer (the UDP_GRO cmsg), 0 when the message has none.
  static size_t groSegmentSize(msghdr& h) {
    if (h.msg_control == nullptr) return 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        int v = 0;
        std::memcpy(&v, CMSG_DATA(c), sizeof v);
        return v > 0 ? static_cast<size_t>(v) : 0;
      }
    }
    return 0;
  }

  Engine& engine_;
  uint32_t index_;
  int epfd_ = -1;
  int wakefd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  // Hand-up batches queued for TypeScript and not yet run (awaitTypeScript).
  std::mutex handUpMu_;
  std::condition_variable handUpCv_;
  uint32_t handUpsInFlight_ = 0;
  double finalCpu_ = 0;
  std::vector<int> listenerFds_;
  std::unordered_map<uint64_t, Alloc*> byToken_;
  std::unordered_map<ClientKey, Alloc*, ClientKeyHash> byClient_;
  // Not zeroed: a page is touched only when a datagram that large arrives (RSS stays small).
  std::unique_ptr<uint8_t[]> slots_{new uint8_t[static_cast<size_t>(kBatch) * kSlot]};
  mmsghdr msgs_[kBatch];
  iovec iov_[kBatch];
  sockaddr_storage from_[kBatch];
  OutMsg out_[kBatch];
  iovec sendIov_[kBatch];
  SendMsg send_[kBatch];
  mmsghdr sendMsgs_[kBatch];
  alignas(cmsghdr) char control_[kBatch][CMSG_SPACE(sizeof(uint16_t))];
  // A relayed socket's UDP_GRO cmsg per slot (the segment size of a coalesced buffer).
  alignas(cmsghdr) char rxControl_[kBatch][CMSG_SPACE(sizeof(int))];
  bool gso_ = gsoWanted();
  // Whether relayed sockets carry a UDP_GRO cmsg to read (groWanted).
  const bool gro_ = groWanted();
  int gsoRefusedInARow_ = 0;
  int64_t now_ = 0;
  // When this thread last forwarded a datagram natively (see run()).
  int64_t lastForwardNs_ = 0;
  int outCount_ = 0;
  int slotNext_ = 0;
};

// ---- the engine ----------------------------------------------------------------------------

Engine::Engine(uint32_t threads, HandUp handUp) : handUp_(std::move(handUp)) {
  if (threads == 0) threads = 1;
  for (uint32_t i = 0; i < threads; i++) threads_.push_back(std::make_unique<DataThread>(*this, i));
}

Engine::~Engine() { close(); }

void Engine::start() {
  if (started_ || closed_) return;
  started_ = true;
  for (auto& t : threads_) t->start();
}

static int udpSocket(int family, int bufferBytes, bool reusePort) {
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (reusePort && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int err = errno;
    ::close(fd);
    return -err;
  }
  if (bufferBytes > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferBytes, sizeof bufferBytes);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufferBytes, sizeof bufferBytes);
  }
  return fd;
}

int Engine::listen(int family, const std::string& host, uint16_t port, int bufferBytes, uint16_t& boundPort, bool shared) {
  if (closed_) return -EBADF;
  Endpoint at;
  if (!makeEndpoint(family, host, port, at)) return -EINVAL;
  std::vector<int> fds;
  auto fail = [&fds](int err) {
    for (int fd : fds) ::close(fd);
    return err;
  };
  if (!shared) {
    // SO_REUSEPORT would let this group join another relay's group on the same port (same
    // user) and silently take part of its clients: a plain bind first says EADDRINUSE then
    // (unless the operator asked for exactly that: `shared`, --reuse-port).
    int probe = udpSocket(family, 0, false);
    if (probe < 0) return probe;
    if (bind(probe, reinterpret_cast<sockaddr*>(&at.ss), at.len) != 0) {
      int err = errno;
      ::close(probe);
      return -err;
    }
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(probe, reinterpret_cast<sockaddr*>(&ss), &len);
    ::close(probe);
    Endpoint bound;
    if (!endpointFrom(ss, len, bound) || !makeEndpoint(family, host, bound.port, at)) return -EINVAL;
  }
  for (size_t i = 0; i < threads_.size(); i++) {
    int fd = udpSocket(family, bufferBytes, true);
    if (fd < 0) return fail(fd);
    fds.push_back(fd);
    if (bind(fd, reinterpret_cast<sockaddr*>(&at.ss), at.len) != 0) return fail(-errno);
    if (i == 0) {
      // Port 0: the kernel's choice for the first socket; the others join it on that port.
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      Endpoint bound;
      if (!endpointFrom(ss, len, bound)) return fail(-EINVAL);
      boundPort = bound.port;
      if (!makeEndpoint(family, host, bound.port, at)) return fail(-EINVAL);
    }
  }
  const uint32_t listener = static_cast<uint32_t>(listenerFamilies_.size());
  listenerFamilies_.push_back(family);
  for (size_t i = 0; i < threads_.size(); i++) {
    std::lock_guard<std::mutex> lock(threads_[i]->mu);
    threads_[i]->addListener(listener, fds[i]);
  }
  return static_cast<int>(listener);
}

void Engine::handUpDone(uint32_t thread) {
  if (thread < threads_.size()) threads_[thread]->handUpDone();
}

void Engine::closeListener(uint32_t listener) {
  if (closed_) return;
  for (auto& t : threads_) {
    std::lock_guard<std::mutex> lock(t->mu);
    t->removeListener(listener);
  }
}

int Engine::bindRelay(uint32_t id, uint32_t thread, int family, const std::string& host, uint16_t port, int bufferBytes, double bandwidth) {
  if (closed_) return -EBADF;
  if (allocs_.count(id) != 0) return -EEXIST;
  Endpoint at;
  if (!makeEndpoint(family, host, port, at)) return -EINVAL;
  int fd = udpSocket(family, bufferBytes, false);
  if (fd < 0) return fd;
  if (bind(fd, reinterpret_cast<sockaddr*>(&at.ss), at.len) != 0) {
    int err = errno;
    ::close(fd);
    return -err;
  }
  if (groWanted()) {
    // Bursts a peer sends as one GSO message (another relay) then arrive as one buffer.
    int one = 1;
    setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one);
  }
  auto a = std::make_unique<Alloc>();
  a->id = id;
  a->thread = thread % threads();
  a->fd = fd;
  a->token = nextToken_++;
  a->family = family;
  a->bucket.reset(bandwidth, monotonicNs());
  DataThread& t = *threads_[a->thread];
  {
    std::lock_guard<std::mutex> lock(t.mu);
    t.addRelay(a.get());
  }
  if (int err = t.watchRelay(a.get()); err < 0) {
    std::lock_guard<std::mutex> lock(t.mu);
    t.removeRelay(a.get());
    ::close(fd);
    return err;
  }
  allocs_[id] = std::move(a);
  return 0;
}

bool Engine::setClient(uint32_t id, uint32_t listener, const std::string& ip, uint16_t port) {
  auto it = allocs_.find(id);
  if (it == allocs_.end() || listener >= listenerFamilies_.size()) return false;
  Alloc* a = it->second.get();
  Endpoint client;
  if (!makeEndpoint(listenerFamilies_[listener], ip, port, client)) return false;
  DataThread& t = *threads_[a->thread];
  std::lock_guard<std::mutex> lock(t.mu);
  if (a->hasClient) return false;
  a->client = client;
  a->clientKey.listener = listener;
  a->clientKey.port = port;
  a->clientKey.ip = client.ip;
  a->hasClient = true;
  t.setClient(a);
  return true;
}

static int64_t deadlineFrom(double ttlMs) {
  return monotonicNs() + static_cast<int64_t>(ttlMs * 1e6);
}

bool Engine::setPermission(uint32_t id, const std::string& ip, double ttlMs) {
  auto it = allocs_.find(id);
  if (it == allocs_.end()) return false;
  Alloc* a = it->second.get();
  Endpoint peer;
  if (!makeEndpoint(a->family, ip, 0, peer)) return false;
  std::lock_guard<std::mutex> lock(threads_[a->thread]->mu);
  auto& ps = a->permissions;
  auto p = std::find_if(ps.begin(), ps.end(), [&](const Permission& x) { return x.ip == peer.ip; });
  if (ttlMs <= 0) {
    if (p != ps.end()) ps.erase(p);
    return true;
  }
  if (p != ps.end()) p->deadlineNs = deadlineFrom(ttlMs);
  else ps.push_back(Permission{peer.ip, deadlineFrom(ttlMs)});
  return true;
}

bool Engine::setChannel(uint32_t id, uint16_t number, const std::string& ip, uint16_t port, double ttlMs) {
  auto it = allocs_.find(id);
  if (it == allocs_.end()) return false;
  Alloc* a = it->second.get();
  Endpoint peer;
  if (!makeEndpoint(a->family, ip, port, peer)) return false;
  std::lock_guard<std::mutex> lock(threads_[a->thread]->mu);
  auto& cs = a->channels;
  auto c = std::find_if(cs.begin(), cs.end(), [&](const Channel& x) { return x.number == number; });
  if (ttlMs <= 0) {
    if (c != cs.end()) cs.erase(c);
    return true;
  }
  if (c != cs.end()) {
    c->peer = peer;
    c->deadlineNs = deadlineFrom(ttlMs);
  } else {
    cs.push_back(Channel{number, peer, deadlineFrom(ttlMs)});
  }
  return true;
}

int Engine::takeTokens(uint32_t id, size_t bytes) {
  auto it = allocs_.find(id);
  if (it == allocs_.end()) return -1;
  Alloc* a = it->second.get();
  std::lock_guard<std::mutex> lock(threads_[a->thread]->mu);
  return a->bucket.take(bytes, monotonicNs()) ? 1 : 0;
}

bool Engine::closeRelay(uint32_t id, Counters& last) {
  auto it = allocs_.find(id);
  if (it == allocs_.end()) return false;
  std::unique_ptr<Alloc> a = std::move(it->second);
  allocs_.erase(it);
  {
    // Once this lock is ours no batch is using the entry, and none will find it again.
    std::lock_guard<std::mutex> lock(threads_[a->thread]->mu);
    threads_[a->thread]->removeRelay(a.get());
    last = a->counters;
  }
  ::close(a->fd);
  return true;
}

int Engine::sendClient(uint32_t listener, const std::string& ip, uint16_t port, const uint8_t* data, size_t length) {
  if (closed_ || listener >= listenerFamilies_.size()) return -EBADF;
  Endpoint to;
  if (!makeEndpoint(listenerFamilies_[listener], ip, port, to)) return -EINVAL;
  int fd = threads_[0]->listenerFd(listener);
  if (fd < 0) return -EBADF;
  // Any of the listener's sockets will do: they share one address and port.
  ssize_t r = sendto(fd, data, length, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to.ss), to.len);
  return r < 0 ? -errno : 0;
}

int Engine::sendPeer(uint32_t id, const std::string& ip, uint16_t port, const uint8_t* data, size_t length) {
  auto it = allocs_.find(id);
  if (it == allocs_.end()) return -EBADF;
  Endpoint to;
  if (!makeEndpoint(it->second->family, ip, port, to)) return -EINVAL;
  ssize_t r = sendto(it->second->fd, data, length, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to.ss), to.len);
  return r < 0 ? -errno : 0;
}

void Engine::collect(std::vector<std::pair<uint32_t, Counters>>& out) {
  for (uint32_t i = 0; i < threads_.size(); i++) {
    std::lock_guard<std::mutex> lock(threads_[i]->mu);
    for (auto& [id, a] : allocs_) {
      if (a->thread != i || !a->counters.any()) continue;
      out.emplace_back(id, a->counters);
      a->counters = Counters{};
    }
  }
}

void Engine::stats(std::vector<ThreadStats>& out, std::vector<double>& cpuSeconds) {
  for (auto& t : threads_) {
    {
      std::lock_guard<std::mutex> lock(t->mu);
      out.push_back(t->stats);
    }
    out.back().drops.handUpFull = t->handUpFull_.load();
    out.back().handUpBatches = t->handUpBatches_.load();
    out.back().handUpWaits = t->handUpWaits_.load();
    cpuSeconds.push_back(t->cpuSeconds());
  }
}

void Engine::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& t : threads_) t->stop();
  for (auto& [id, a] : allocs_) ::close(a->fd);
  allocs_.clear();
  threads_.clear();  // closes the listeners, epoll and eventfds
}

}  // namespace sovereign
