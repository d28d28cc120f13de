"""Under --close peer-first against a server that never closes: the shim
holds each closed connection for the wait, then lets go. Prints the fd
counts: before, while held (after a fork whose child exits at once), and
after the wait. The held fds must all be gone, the child must not matter.
With a 5th argument 'closerange', the program closes every fd from 3 up
while they are held, as daemons do: the shim's must survive that."""
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
if len(sys.argv) > 5 and sys.argv[5] == "closerange":
    os.closerange(3, 1 << 20)
    held = fds()
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(wait_ms / 1000 + 0.5)
print(f"before={before} held={held} after={fds()}")
