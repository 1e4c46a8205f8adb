// Fire-and-forget UDP load for loadtest/bench-engine-burst.ts: sockets bound to given
// source ports send datagrams with sendmmsg, `burst` in a row per socket, round-robin over
// the sockets, for `seconds`. Nobody reads the destinations (the engine's cost is measured,
// not delivery). Usage:
//   burst-blast SECONDS PAYLOAD BURST SRC_IP DST_IP  [srcPort:dstPort:channel]...
// channel > 0: ChannelData on that channel (a client's socket to the relay's listener);
// channel 0: the raw payload (a peer's socket to a relayed address). BLAST_PEER_GSO=1: a
// peer's burst leaves as one UDP GSO message, as another relay sends it.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXF 4096
#define B 64
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 7) return 2;
  double seconds = atof(argv[1]);
  int payload = atoi(argv[2]), burst = atoi(argv[3]);
  if (burst < 1) burst = 1;
  if (burst > B) burst = B;
  int n = argc - 6, fds[MAXF];
  struct sockaddr_in dst[MAXF];
  static uint8_t buf[MAXF][1500];
  int len[MAXF];
  for (int i = 0; i < n && i < MAXF; i++) {
    unsigned sp, dp, ch;
    if (sscanf(argv[6 + i], "%u:%u:%u", &sp, &dp, &ch) != 3) return 2;
    fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
    int big = 4 << 20;
    setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    struct sockaddr_in src = {0};
    src.sin_family = AF_INET;
    src.sin_port = htons(sp);
    inet_pton(AF_INET, argv[4], &src.sin_addr);
    if (bind(fds[i], (struct sockaddr*)&src, sizeof src) != 0) { perror("bind"); return 1; }
    memset(&dst[i], 0, sizeof dst[i]);
    dst[i].sin_family = AF_INET;
    dst[i].sin_port = htons(dp);
    inet_pton(AF_INET, argv[5], &dst[i].sin_addr);
    memset(buf[i], 0xab, sizeof buf[i]);
    if (ch > 0) {
      buf[i][0] = ch >> 8; buf[i][1] = ch & 0xff; buf[i][2] = payload >> 8; buf[i][3] = payload & 0xff;
      len[i] = payload + 4;
    } else {
      len[i] = payload;
    }
  }
  struct mmsghdr m[B];
  struct iovec iov[B];
  const char* g = getenv("BLAST_PEER_GSO");
  const int peerGso = g != NULL && strcmp(g, "1") == 0;
  char control[CMSG_SPACE(sizeof(uint16_t))];
  unsigned long long sent = 0, calls = 0;
  double end = now() + seconds;
  while (now() < end) {
    for (int i = 0; i < n; i++) {
      if (peerGso && burst > 1 && len[i] == payload) {
        // One message of `burst` segments (channel 0: a peer's socket).
        for (int k = 0; k < burst; k++) { iov[k].iov_base = buf[i]; iov[k].iov_len = len[i]; }
        struct msghdr h = {0};
        h.msg_iov = iov; h.msg_iovlen = burst;
        h.msg_name = &dst[i]; h.msg_namelen = sizeof dst[i];
        memset(control, 0, sizeof control);
        h.msg_control = control; h.msg_controllen = sizeof control;
        struct cmsghdr* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP; c->cmsg_type = UDP_SEGMENT; c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t seg = (uint16_t)len[i];
        memcpy(CMSG_DATA(c), &seg, sizeof seg);
        calls++;
        if (sendmsg(fds[i], &h, 0) > 0) sent += burst;
        continue;
      }
      for (int k = 0; k < burst; k++) {
        iov[k].iov_base = buf[i]; iov[k].iov_len = len[i];
        memset(&m[k], 0, sizeof m[k]);
        m[k].msg_hdr.msg_iov = &iov[k]; m[k].msg_hdr.msg_iovlen = 1;
        m[k].msg_hdr.msg_name = &dst[i]; m[k].msg_hdr.msg_namelen = sizeof dst[i];
      }
      int r = sendmmsg(fds[i], m, burst, 0);
      calls++;
      if (r > 0) sent += r;
    }
  }
  printf("%llu %llu\n", sent, calls);
  return 0;
}
