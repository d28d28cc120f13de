# SPDX-License-Identifier: MIT
# stderr_moved.py HOW PATH: a program that moves its own stderr, then opens
# a TCP socket, where the shim reads its configuration (and may have
# something to say). HOW:
#   dup2     its log file (PATH) put on fd 2 with dup2(): the line goes there
#   freopen  freopen(PATH, "a", stderr): the line goes there
#   socket   one end of a socket pair put on fd 2 (inetd-style: fd 2 is the
#            client's connection): no line may come out of the other end;
#            PATH gets what did ("" when nothing)
import ctypes
import os
import socket
import sys

how, path = sys.argv[1], sys.argv[2]
if how == "dup2":
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 2)
    os.close(fd)
elif how == "freopen":
    libc = ctypes.CDLL(None, use_errno=True)
    libc.freopen.restype = ctypes.c_void_p
    libc.freopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p]
    stderr = ctypes.c_void_p.in_dll(libc, "stderr")
    if not libc.freopen(path.encode(), b"a", stderr):
        sys.exit("freopen: " + os.strerror(ctypes.get_errno()))
elif how == "socket":
    a, b = socket.socketpair()
    os.dup2(a.fileno(), 2)
    b.setblocking(False)
else:
    sys.exit("stderr_moved.py: no mode '%s'" % how)
socket.socket().close()
if how == "socket":
    try:
        got = b.recv(4096)
    except BlockingIOError:
        got = b""
    with open(path, "wb") as f:
        f.write(got)
