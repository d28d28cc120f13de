# SPDX-License-Identifier: MIT
# broken_stderr.py CMD...: runs CMD with its stderr a pipe whose read end is
# closed, as a service's log pipe (| logger, s6-log, runit's svlogd) is once
# its reader has gone: every write to fd 2 fails with EPIPE and raises
# SIGPIPE. SIGPIPE is given to CMD at its default disposition (Python
# ignores it, and an ignored signal stays ignored across exec).
import os
import signal
import sys

r, w = os.pipe()
os.close(r)
os.dup2(w, 2)
os.close(w)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])
