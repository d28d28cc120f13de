"""Under --close peer-first against a server that never closes: the shim
holds each closed connection for the wait, then lets go. Prints the fd
counts: before, while held (after a fork whose child exits at once), and
after the wait. The held fds must all be gone, the child must not matter."""
import http.client
import os
import sys
import time

host, port, n, wait_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fds = lambda: len(os.listdir("/proc/self/fd"))
before = fds()
for _ in range(n):
    c = http.client.HTTPConnection(host, port, timeout=5)
    c.request("GET", "/")
    c.getresponse().read()
    c.close()
held = fds()
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(wait_ms / 1000 + 0.5)
print(f"before={before} held={held} after={fds()}")
