# SPDX-License-Identifier: MIT
# sigpipe_modes.py MODE PORT: a program that makes one connection to
# 127.0.0.1:PORT (where the shim reads its configuration, and may have a line
# to write) with SIGPIPE as MODE says, then checks that SIGPIPE is as it left
# it. Prints "MODE ok" and exits 0, or says on stdout what changed and exits
# 1 (its stderr may be a broken pipe). MODE:
#   default  SIG_DFL, not blocked: a SIGPIPE would end it (status 141)
#   ignored  SIG_IGN: still ignored after
#   handler  a handler of its own: never called
#   blocked  blocked, none pending: still blocked, still none pending (a
#            SIGPIPE left pending would end it when it unblocks)
#   pending  blocked, one of its own pending (sent to this thread): still
#            pending after, and only one
# The state is read from the kernel: /proc/thread-self/status.
import signal
import socket
import sys
import threading

mode, port = sys.argv[1], int(sys.argv[2])
BIT = 1 << (signal.SIGPIPE - 1)


def fail(msg):
    print(msg)
    sys.exit(1)


def status(field):
    with open("/proc/thread-self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1], 16) & BIT != 0
    fail("no %s in /proc/thread-self/status" % field)


def pending():
    return status("SigPnd") or status("ShdPnd")


calls = []
if mode == "ignored":
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
elif mode == "handler":
    signal.signal(signal.SIGPIPE, lambda *a: calls.append(1))
else:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
if mode in ("blocked", "pending"):
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGPIPE])
if mode == "pending":
    signal.pthread_kill(threading.get_ident(), signal.SIGPIPE)
    if not pending():
        fail("pending: SIGPIPE not pending before the connection")

s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
got = b""
while not got.endswith(b"\r\n\r\nok\n"):  # ka_server's whole answer
    chunk = s.recv(4096)
    if not chunk:
        fail("%s: the server closed after %r" % (mode, got))
    got += chunk
s.close()

bad = []
if status("SigIgn") != (mode == "ignored"):
    bad.append("ignored" if mode != "ignored" else "no longer ignored")
if status("SigCgt") != (mode == "handler"):
    bad.append("caught" if mode != "handler" else "no longer caught")
if calls:
    bad.append("the handler ran %d times" % len(calls))
if status("SigBlk") != (mode in ("blocked", "pending")):
    bad.append("blocked" if mode not in ("blocked", "pending") else "no longer blocked")
if pending() != (mode == "pending"):
    bad.append("pending" if mode != "pending" else "no longer pending")
if mode == "pending":
    signal.sigtimedwait([signal.SIGPIPE], 0)
    if pending():
        bad.append("pending twice")
if bad:
    fail("%s: SIGPIPE %s" % (mode, ", ".join(bad)))
print(mode, "ok")
