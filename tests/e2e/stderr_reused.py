# SPDX-License-Identifier: MIT
# stderr_reused.py PATH: a daemon's start, as many do it: stderr closed, and
# the number taken by the next file it opens (PATH). Then a TCP socket,
# where the shim reads its configuration (and may have something to say).
# PATH must hold only the program's own records afterwards.
import os
import socket
import sys

os.close(2)
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
if fd != 2:
    sys.exit("expected the data file at fd 2, got %d" % fd)
os.write(fd, b"RECORD-1\n")
socket.socket().close()
os.write(fd, b"RECORD-2\n")
