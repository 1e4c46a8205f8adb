/*
 * The relay benchmark's native load generator: moves ChannelData only. TypeScript has
 * already allocated, authenticated and bound a channel to the echo peer on each flow's
 * local port, then closed its socket; this process binds the same ports and, per flow,
 * sends stamped ChannelData to the server and times the echoes that come back.
 *
 *   udp-load --mode max|fixed [--window N] [--rate PPS] [--burst K] --payload B
 *            --warmup-ms W --duration-ms D [--loss-timeout-ms L] [--threads T]
 *            [--run-id R] [--buffer-bytes N]
 *   stdin: one flow a line, "local_ip local_port server_ip server_port channel"
 *   stdout: {"event":"measure-start"} and {"event":"measure-end"} as the measurement
 *           window opens and closes, then one JSON line with the results.
 *
 * Per flow: a connected UDP socket, epoll, recvmmsg/sendmmsg. max: `window` packets in
 * flight per flow, topped up when echoes return; fixed: `rate` packets/s in total (split
 * over the threads), paced every millisecond round-robin over the flows. `burst`: k
 * back-to-back packets to one flow per send opportunity (one sendmmsg), like a video frame.
 * Payload: flow u32 LE, seq u32 LE, run u32 LE, send time u64 LE (CLOCK_MONOTONIC ns), as
 * loadtest/packet-load.ts lays it out (there a double of milliseconds). RTTs go into a
 * log-linear histogram with the bucketing and percentile rule of loadtest/histogram.ts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING 1024       /* slots per flow; a slot is reused only after RING later packets */
#define BATCH 64        /* datagrams per recvmmsg/sendmmsg */
#define HEADER 4        /* ChannelData header */
#define MIN_PAYLOAD 20
#define OFF_FLOW (HEADER + 0)
#define OFF_SEQ (HEADER + 4)
#define OFF_RUN (HEADER + 8)
#define OFF_TIME (HEADER + 12)
#define MAX_FRAME 65536

/* ---- histogram: the layout of loadtest/histogram.ts, subBucketBits 7, maxValue 2^36 ---- */
#define SUB_BITS 7
#define SUB (1u << SUB_BITS)
#define HMAX (1ull << 36)

typedef struct {
  uint64_t *counts;
  size_t n;
  uint64_t count, min, max;
  double sum;
} hist_t;

static size_t h_index(uint64_t v) {
  if (v < 2 * SUB) return (size_t)v;
  int shift = (63 - __builtin_clzll(v)) - SUB_BITS;
  uint64_t mantissa = v >> shift;
  return (size_t)(shift + 1) * SUB + (size_t)(mantissa - SUB);
}

static void h_init(hist_t *h) {
  memset(h, 0, sizeof *h);
  h->n = h_index(HMAX) + 1;
  h->counts = calloc(h->n, sizeof *h->counts);
  h->min = UINT64_MAX;
}

static void h_record(hist_t *h, uint64_t v) {
  if (v > HMAX) v = HMAX;
  h->counts[h_index(v)]++;
  h->count++;
  h->sum += (double)v;
  if (v < h->min) h->min = v;
  if (v > h->max) h->max = v;
}

static void h_merge(hist_t *into, const hist_t *h) {
  for (size_t i = 0; i < h->n; i++) into->counts[i] += h->counts[i];
  into->count += h->count;
  into->sum += h->sum;
  if (h->count && h->min < into->min) into->min = h->min;
  if (h->max > into->max) into->max = h->max;
}

/* The midpoint of the bucket holding the ceil(p/100·count)-th value, clamped to min..max. */
static uint64_t h_percentile(const hist_t *h, double p) {
  if (!h->count) return 0;
  uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count - 1e-9);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < h->n; i++) {
    seen += h->counts[i];
    if (seen >= rank) {
      uint64_t low, high;
      if (i < 2 * SUB) low = high = i;
      else {
        size_t shift = i / SUB - 1;
        uint64_t mantissa = (i % SUB) + SUB;
        low = mantissa << shift;
        high = low + (1ull << shift) - 1;
      }
      uint64_t mid = low + (high - low) / 2;
      return mid < h->min ? h->min : mid > h->max ? h->max : mid;
    }
  }
  return h->max;
}

/* ---- configuration and state ---- */
static struct {
  int fixed;
  int window, burst, payload, threads, buffer_bytes;
  double rate;
  uint64_t warmup_ns, duration_ns, loss_ns;
  uint32_t run_id;
  uint64_t t_start, t_measure, t_end, t_drain_end;
} cfg = { .window = 4, .burst = 1, .payload = 200, .threads = 1, .buffer_bytes = 1 << 20, .loss_ns = 1000000000ull };

typedef struct {
  int fd;
  uint32_t index;
  uint16_t channel;
  uint32_t next_seq;
  int inflight;
  uint64_t sent_ns[RING];
  uint32_t seq_at[RING];
  uint8_t measured[RING];
} flow_t;

typedef struct {
  pthread_t thread;
  flow_t **flows;
  int nflows;
  int epfd;
  hist_t rtt;
  uint64_t sent, received, lost, late, arrived, send_errors;
  uint64_t recv_calls, recv_packets, send_calls, send_packets;
  uint64_t paced;  /* fixed: packets due so far */
  int rr;
  unsigned char *sendbuf, *recvbuf;
} worker_t;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t) {
  struct timespec ts = { (time_t)(t / 1000000000ull), (long)(t % 1000000000ull) };
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

static void die(const char *what) {
  fprintf(stderr, "udp-load: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); } /* little-endian hosts only */
static uint32_t get32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static void lose(worker_t *w, flow_t *f, int slot) {
  if (f->measured[slot]) w->lost++;
  f->sent_ns[slot] = 0;
  f->inflight--;
}

/* Sends k (≤ BATCH) back-to-back frames on flow f in one sendmmsg; returns how many went. */
static int send_frames(worker_t *w, flow_t *f, int k) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  int len = HEADER + cfg.payload;
  uint64_t t = now_ns();
  for (int i = 0; i < k; i++) {
    unsigned char *b = w->sendbuf + (size_t)i * (size_t)len;
    b[0] = (unsigned char)(f->channel >> 8);
    b[1] = (unsigned char)f->channel;
    b[2] = (unsigned char)(cfg.payload >> 8);
    b[3] = (unsigned char)cfg.payload;
    put32(b + OFF_FLOW, f->index);
    put32(b + OFF_SEQ, f->next_seq + (uint32_t)i);
    put32(b + OFF_RUN, cfg.run_id);
    memcpy(b + OFF_TIME, &t, 8);
    iov[i].iov_base = b;
    iov[i].iov_len = (size_t)len;
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int sent = sendmmsg(f->fd, msgs, (unsigned)k, MSG_DONTWAIT);
  w->send_calls++;
  if (sent < 0) { w->send_errors++; return 0; }
  w->send_packets += (uint64_t)sent;
  int measuring = t >= cfg.t_measure && t < cfg.t_end;
  for (int i = 0; i < sent; i++) {
    uint32_t seq = f->next_seq++;
    int slot = (int)(seq & (RING - 1));
    if (f->sent_ns[slot]) lose(w, f, slot); /* the ring wrapped over a packet that never came back */
    f->sent_ns[slot] = t;
    f->seq_at[slot] = seq;
    f->measured[slot] = (uint8_t)measuring;
    f->inflight++;
    if (measuring) w->sent++;
  }
  return sent;
}

static int effective_window(void) { return cfg.window > cfg.burst ? cfg.window : cfg.burst; }

/* max: fill the window in whole bursts. */
static void top_up(worker_t *w, flow_t *f) {
  int free_slots = effective_window() - f->inflight;
  int k = free_slots - free_slots % cfg.burst;
  while (k > 0) {
    int n = send_frames(w, f, k > BATCH ? BATCH : k);
    if (n <= 0) return;
    k -= n;
  }
}

static void receive(worker_t *w, flow_t *f) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (int round = 0; round < 8; round++) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = w->recvbuf + (size_t)i * 2048;
      iov[i].iov_len = 2048;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(f->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;
    w->recv_calls++;
    w->recv_packets += (uint64_t)n;
    uint64_t t = now_ns();
    int measuring = t >= cfg.t_measure && t < cfg.t_end;
    for (int i = 0; i < n; i++) {
      const unsigned char *b = iov[i].iov_base;
      if (msgs[i].msg_len < HEADER + MIN_PAYLOAD || get32(b + OFF_RUN) != cfg.run_id || get32(b + OFF_FLOW) != f->index) { w->late++; continue; }
      uint32_t seq = get32(b + OFF_SEQ);
      int slot = (int)(seq & (RING - 1));
      if (!f->sent_ns[slot] || f->seq_at[slot] != seq) { w->late++; continue; }
      if (measuring) w->arrived++;
      if (f->measured[slot]) {
        uint64_t stamp;
        memcpy(&stamp, b + OFF_TIME, 8);
        w->received++;
        h_record(&w->rtt, t > stamp ? t - stamp : 0);
      }
      f->sent_ns[slot] = 0;
      f->inflight--;
    }
    if (n < BATCH) return;
  }
}

static void sweep(worker_t *w, uint64_t cutoff) {
  for (int i = 0; i < w->nflows; i++) {
    flow_t *f = w->flows[i];
    if (!f->inflight) continue;
    for (int s = 0; s < RING; s++) if (f->sent_ns[s] && f->sent_ns[s] < cutoff) lose(w, f, s);
  }
}

static int outstanding(const worker_t *w) {
  int n = 0;
  for (int i = 0; i < w->nflows; i++) n += w->flows[i]->inflight;
  return n;
}

/* fixed: this thread's share of the aggregate rate, due since start, in bursts round-robin. */
static void pace(worker_t *w, uint64_t t) {
  double share = cfg.rate / cfg.threads;
  uint64_t due_total = (uint64_t)((double)(t - cfg.t_start) / 1e9 * share);
  while (due_total >= w->paced + (uint64_t)cfg.burst) {
    flow_t *f = w->flows[w->rr];
    w->rr = (w->rr + 1) % w->nflows;
    int n = send_frames(w, f, cfg.burst > BATCH ? BATCH : cfg.burst);
    w->paced += (uint64_t)cfg.burst; /* an unsent packet is not retried: the rate is offered, not achieved */
    (void)n;
  }
}

static void *run_worker(void *arg) {
  worker_t *w = arg;
  struct epoll_event evs[BATCH];
  uint64_t last_sweep = now_ns();
  int sending = 1;
  if (!cfg.fixed) for (int i = 0; i < w->nflows; i++) top_up(w, w->flows[i]);
  for (;;) {
    uint64_t t = now_ns();
    if (t >= cfg.t_end) {
      sending = 0;
      if (outstanding(w) == 0 || t >= cfg.t_drain_end) break;
    }
    if (sending && cfg.fixed) pace(w, t);
    if (t - last_sweep >= cfg.loss_ns / 4) {
      sweep(w, t - cfg.loss_ns);
      last_sweep = t;
      if (sending && !cfg.fixed) for (int i = 0; i < w->nflows; i++) top_up(w, w->flows[i]);
    }
    int n = epoll_wait(w->epfd, evs, BATCH, 1);
    for (int i = 0; i < n; i++) {
      flow_t *f = evs[i].data.ptr;
      receive(w, f);
      if (sending && !cfg.fixed && now_ns() < cfg.t_end) top_up(w, f);
    }
  }
  sweep(w, UINT64_MAX);
  return NULL;
}

static void resolve(const char *host, const char *port, struct sockaddr_storage *out, socklen_t *len) {
  struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_DGRAM }, *res;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc) { fprintf(stderr, "udp-load: bad address %s:%s: %s\n", host, port, gai_strerror(rc)); exit(1); }
  memcpy(out, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
}

static flow_t *open_flow(uint32_t index, const char *lhost, const char *lport, const char *shost, const char *sport, unsigned channel) {
  flow_t *f = calloc(1, sizeof *f);
  struct sockaddr_storage local, server;
  socklen_t llen, slen;
  resolve(lhost, lport, &local, &llen);
  resolve(shost, sport, &server, &slen);
  f->fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (f->fd < 0) die("socket");
  setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &cfg.buffer_bytes, sizeof cfg.buffer_bytes);
  setsockopt(f->fd, SOL_SOCKET, SO_SNDBUF, &cfg.buffer_bytes, sizeof cfg.buffer_bytes);
  if (bind(f->fd, (struct sockaddr *)&local, llen) < 0) {
    fprintf(stderr, "udp-load: bind %s:%s: %s\n", lhost, lport, strerror(errno));
    exit(1);
  }
  if (connect(f->fd, (struct sockaddr *)&server, slen) < 0) die("connect");
  f->index = index;
  f->channel = (uint16_t)channel;
  return f;
}

static double ru_seconds(const struct timeval *tv) { return (double)tv->tv_sec + (double)tv->tv_usec / 1e6; }

int main(int argc, char **argv) {
  static const struct option longopts[] = {
    { "mode", required_argument, 0, 'm' }, { "window", required_argument, 0, 'w' },
    { "rate", required_argument, 0, 'r' }, { "burst", required_argument, 0, 'b' },
    { "payload", required_argument, 0, 'p' }, { "warmup-ms", required_argument, 0, 'W' },
    { "duration-ms", required_argument, 0, 'd' }, { "loss-timeout-ms", required_argument, 0, 'l' },
    { "threads", required_argument, 0, 't' }, { "run-id", required_argument, 0, 'R' },
    { "buffer-bytes", required_argument, 0, 'B' }, { 0, 0, 0, 0 },
  };
  double warmup_ms = 1000, duration_ms = 5000;
  for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
    switch (c) {
      case 'm': cfg.fixed = strcmp(optarg, "fixed") == 0; break;
      case 'w': cfg.window = atoi(optarg); break;
      case 'r': cfg.rate = atof(optarg); break;
      case 'b': cfg.burst = atoi(optarg); break;
      case 'p': cfg.payload = atoi(optarg); break;
      case 'W': warmup_ms = atof(optarg); break;
      case 'd': duration_ms = atof(optarg); break;
      case 'l': cfg.loss_ns = (uint64_t)(atof(optarg) * 1e6); break;
      case 't': cfg.threads = atoi(optarg); break;
      case 'R': cfg.run_id = (uint32_t)strtoul(optarg, NULL, 10); break;
      case 'B': cfg.buffer_bytes = atoi(optarg); break;
      default: fprintf(stderr, "udp-load: unknown option\n"); return 2;
    }
  }
  if (cfg.payload < MIN_PAYLOAD || HEADER + cfg.payload > 2048) { fprintf(stderr, "udp-load: payload must be %d..%d bytes\n", MIN_PAYLOAD, 2048 - HEADER); return 2; }
  if (cfg.burst < 1 || cfg.burst > BATCH || cfg.window < 1 || cfg.window > RING / 2 || cfg.threads < 1) { fprintf(stderr, "udp-load: bad window, burst or threads\n"); return 2; }
  if (cfg.fixed && !(cfg.rate > 0)) { fprintf(stderr, "udp-load: --mode fixed needs --rate\n"); return 2; }
  cfg.warmup_ns = (uint64_t)(warmup_ms * 1e6);
  cfg.duration_ns = (uint64_t)(duration_ms * 1e6);

  flow_t **flows = NULL;
  int nflows = 0, cap = 0;
  char lhost[64], lport[16], shost[64], sport[16];
  unsigned channel;
  while (scanf("%63s %15s %63s %15s %x", lhost, lport, shost, sport, &channel) == 5) {
    if (nflows == cap) flows = realloc(flows, (size_t)(cap = cap ? cap * 2 : 64) * sizeof *flows);
    flows[nflows] = open_flow((uint32_t)nflows, lhost, lport, shost, sport, channel);
    nflows++;
  }
  if (!nflows) { fprintf(stderr, "udp-load: no flows on stdin\n"); return 2; }
  if (cfg.threads > nflows) cfg.threads = nflows;

  worker_t *workers = calloc((size_t)cfg.threads, sizeof *workers);
  for (int t = 0; t < cfg.threads; t++) {
    worker_t *w = &workers[t];
    w->flows = calloc((size_t)nflows, sizeof *w->flows);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0) die("epoll_create1");
    w->sendbuf = calloc(BATCH, (size_t)(HEADER + cfg.payload));
    w->recvbuf = malloc((size_t)BATCH * 2048);
    h_init(&w->rtt);
  }
  for (int i = 0; i < nflows; i++) {
    worker_t *w = &workers[i % cfg.threads];
    w->flows[w->nflows++] = flows[i];
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = flows[i] };
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, flows[i]->fd, &ev) < 0) die("epoll_ctl");
  }

  cfg.t_start = now_ns();
  cfg.t_measure = cfg.t_start + cfg.warmup_ns;
  cfg.t_end = cfg.t_measure + cfg.duration_ns;
  cfg.t_drain_end = cfg.t_end + cfg.loss_ns;
  for (int t = 0; t < cfg.threads; t++) pthread_create(&workers[t].thread, NULL, run_worker, &workers[t]);

  struct rusage ru0, ru1;
  sleep_until(cfg.t_measure);
  getrusage(RUSAGE_SELF, &ru0);
  uint64_t m0 = now_ns();
  printf("{\"event\":\"measure-start\"}\n");
  fflush(stdout);
  sleep_until(cfg.t_end);
  getrusage(RUSAGE_SELF, &ru1);
  uint64_t m1 = now_ns();
  printf("{\"event\":\"measure-end\"}\n");
  fflush(stdout);
  for (int t = 0; t < cfg.threads; t++) pthread_join(workers[t].thread, NULL);

  hist_t all;
  h_init(&all);
  uint64_t sent = 0, received = 0, lost = 0, late = 0, arrived = 0, errors = 0, rc = 0, rp = 0, sc = 0, sp = 0;
  for (int t = 0; t < cfg.threads; t++) {
    worker_t *w = &workers[t];
    h_merge(&all, &w->rtt);
    sent += w->sent; received += w->received; lost += w->lost; late += w->late; arrived += w->arrived;
    errors += w->send_errors; rc += w->recv_calls; rp += w->recv_packets; sc += w->send_calls; sp += w->send_packets;
  }
  double measured_ms = (double)(m1 - m0) / 1e6;
  double user = ru_seconds(&ru1.ru_utime) - ru_seconds(&ru0.ru_utime);
  double sys = ru_seconds(&ru1.ru_stime) - ru_seconds(&ru0.ru_stime);
  printf("{\"pps\":%.3f,\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"late\":%llu,\"arrived\":%llu,\"sendErrors\":%llu,"
         "\"measuredMs\":%.3f,\"cpuUser\":%.6f,\"cpuSystem\":%.6f,\"threads\":%d,\"flows\":%d,"
         "\"recvCalls\":%llu,\"recvPackets\":%llu,\"sendCalls\":%llu,\"sendPackets\":%llu,"
         "\"rttNs\":{\"count\":%llu,\"min\":%llu,\"max\":%llu,\"mean\":%.1f,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu}}\n",
         (double)arrived / (measured_ms / 1000.0), (unsigned long long)sent, (unsigned long long)received, (unsigned long long)lost,
         (unsigned long long)late, (unsigned long long)arrived, (unsigned long long)errors, measured_ms, user, sys, cfg.threads, nflows,
         (unsigned long long)rc, (unsigned long long)rp, (unsigned long long)sc, (unsigned long long)sp,
         (unsigned long long)all.count, (unsigned long long)(all.count ? all.min : 0), (unsigned long long)all.max,
         all.count ? all.sum / (double)all.count : 0.0,
         (unsigned long long)h_percentile(&all, 50), (unsigned long long)h_percentile(&all, 90),
         (unsigned long long)h_percentile(&all, 99), (unsigned long long)h_percentile(&all, 99.9));
  return 0;
}
