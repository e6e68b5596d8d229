// The floor under any REST figure on this machine: a loopback TCP round trip of one byte
// between two threads of one process (TCP_NODELAY both ways), 20,000 times.
//     gcc -O2 -pthread benches/peers/tcp_pingpong.c -o /tmp/pingpong && /tmp/pingpong
// Session 19 on the 2-vCPU VM: mean 38-56 us, p50 52-64 us, p10 3.8 us (three runs):
// a round trip is either ~4 us (both threads on running vCPUs) or ~60 us (one woken).
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>
#include <string.h>
static int port; static int N = 20000;
static void* server(void* a) {
  int l = *(int*)a; int c = accept(l, 0, 0); int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char b[64];
  for (int i = 0; i < N; i++) { if (read(c, b, 64) <= 0) break; write(c, b, 1); }
  return 0;
}
static int cmp(const void* a, const void* b) { double x=*(double*)a,y=*(double*)b; return x<y?-1:x>y; }
int main() {
  int l = socket(AF_INET, SOCK_STREAM, 0); struct sockaddr_in s = {0};
  s.sin_family = AF_INET; s.sin_addr.s_addr = htonl(0x7f000001);
  bind(l, (void*)&s, sizeof s); listen(l, 1); socklen_t sl = sizeof s; getsockname(l, (void*)&s, &sl);
  pthread_t t; pthread_create(&t, 0, server, &l);
  int c = socket(AF_INET, SOCK_STREAM, 0); connect(c, (void*)&s, sizeof s); int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  double* lat = malloc(N * sizeof(double)); char b[64];
  for (int i = 0; i < N; i++) {
    struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
    write(c, b, 1); read(c, b, 64);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    lat[i] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
  }
  double sum = 0; for (int i = 0; i < N; i++) sum += lat[i];
  qsort(lat, N, sizeof(double), cmp);
  printf("round trips %d: mean %.1f us, p50 %.1f us, p10 %.1f, p90 %.1f\n", N, sum / N, lat[N/2], lat[N/10], lat[N*9/10]);
  return 0;
}
