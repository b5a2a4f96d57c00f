/* net-sniff: an AF_PACKET socket sees every frame on every interface of our
 * network namespace, loopback included. About one second of capture. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

void probe_net_sniff(struct probe *p)
{
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
  struct timespec start, now;
  int frames = 0;
  static char buf[65536];

  if (fd < 0)
    {
      probe_attempt(p, "socket(AF_PACKET)", "all interfaces", false, errno, NULL);
      return;
    }
  probe_attempt(p, "socket(AF_PACKET)", "all interfaces", true, 0, NULL);
  clock_gettime(CLOCK_MONOTONIC, &start);
  do
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      if (poll(&pfd, 1, 100) == 1)
        {
          ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
          if (n > 0)
            {
              frames++;
              probe_scan(p, buf, (size_t)n);
            }
        }
      clock_gettime(CLOCK_MONOTONIC, &now);
    }
  while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < 1000);
  probe_attempt(p, "capture", "1 s", true, 0, "%d frames", frames);
  close(fd);
}
