# SPDX-License-Identifier: MIT
"""Under --close peer-first against a server that never closes: the shim
holds each closed connection for the wait, then lets go. Prints the fd
counts of the program's table: before, while held, after the wait (after
a fork whose child exits at once); and of the closer thread's own table
(the held connections live there): while held, and after the wait.
With a 5th argument 'closerange', the program closes every fd from 3 up
while they are held, as daemons do: the shim's must survive that."""
import http.client
import os
import sys
import time

host, port, n, wait_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fds = lambda: len(os.listdir("/proc/self/fd"))


def closer_fds():
    """The fds of the thread named twshim-closer, which has a table of its own."""
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/comm") as f:
            if f.read().strip() == "twshim-closer":
                return len(os.listdir(f"/proc/self/task/{tid}/fd"))
    return -1


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
# The hand-over is a message to the closer thread: give it up to a second
# to take them all (a loaded machine may not run it at once).
for _ in range(100):
    closer_held = closer_fds()
    if closer_held >= n + 2:
        break
    time.sleep(0.01)
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(wait_ms / 1000 + 0.5)
print(f"before={before} held={held} after={fds()} closer_held={closer_held} closer_after={closer_fds()}")
