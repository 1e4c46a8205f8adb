/*
 * The relay benchmark's native echo peer: one UDP socket that sends every datagram back
 * to where it came from (an allocation's relayed address), in batches: recvmmsg, then one
 * sendmmsg with each datagram addressed to its sender.
 *
 *   udp-echo HOST PORT [BUFFER_BYTES]
 *   stdout: {"port":N} once bound; at exit (SIGTERM or stdin closed, i.e. the parent went
 *           away) {"received":..,"echoed":..,"batches":..}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define FRAME 65536

static volatile uint64_t received, echoed, batches;

static void report_and_exit(void) {
  printf("{\"received\":%llu,\"echoed\":%llu,\"batches\":%llu}\n", (unsigned long long)received, (unsigned long long)echoed, (unsigned long long)batches);
  fflush(stdout);
  _exit(0);
}

static void on_term(int sig) { (void)sig; report_and_exit(); }

/* The parent holds our stdin open: EOF means it is gone. */
static void *watch_stdin(void *arg) {
  (void)arg;
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {}
  report_and_exit();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: udp-echo HOST PORT [BUFFER_BYTES]\n"); return 2; }
  int buffer_bytes = argc > 3 ? atoi(argv[3]) : 4 << 20;
  struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE, .ai_socktype = SOCK_DGRAM }, *res;
  int rc = getaddrinfo(argv[1], argv[2], &hints, &res);
  if (rc) { fprintf(stderr, "udp-echo: bad address %s:%s: %s\n", argv[1], argv[2], gai_strerror(rc)); return 1; }
  int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { perror("udp-echo: socket"); return 1; }
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  if (bind(fd, res->ai_addr, res->ai_addrlen) < 0) { perror("udp-echo: bind"); return 1; }
  freeaddrinfo(res);
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &blen);
  char host[64], port[16];
  getnameinfo((struct sockaddr *)&bound, blen, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  pthread_t watcher;
  pthread_create(&watcher, NULL, watch_stdin, NULL);
  printf("{\"port\":%s}\n", port);
  fflush(stdout);

  static unsigned char bufs[BATCH][FRAME];
  static struct sockaddr_storage from[BATCH];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = FRAME;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("udp-echo: recvmmsg");
      return 1;
    }
    received += (uint64_t)n;
    batches++;
    for (int i = 0; i < n; i++) iov[i].iov_len = msgs[i].msg_len; /* msg_name/namelen stay as the sender */
    int off = 0;
    while (off < n) {
      int s = sendmmsg(fd, msgs + off, (unsigned)(n - off), 0);
      if (s < 0 && errno == EINTR) continue;
      if (s <= 0) { off++; continue; } /* a datagram that cannot go is dropped, as on a network */
      echoed += (uint64_t)s;
      off += s;
    }
  }
}
