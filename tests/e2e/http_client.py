# SPDX-License-Identifier: MIT
"""A legacy Python client: one http.client connection per request, closed
by the client. Prints ok=N eaddrnotavail=M other=K.

http_client.py HOST PORT COUNT [keep] [blocking]: with 'keep', one more
connection is made first and left open (its request answered) until the
end; with 'blocking', sockets have no timeout (Python makes a socket with
a timeout non-blocking underneath)."""
import errno
import http.client
import sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
timeout = None if "blocking" in sys.argv[4:] else 5
ok = addrnotavail = other = 0
keep = None
if "keep" in sys.argv[4:]:
    keep = http.client.HTTPConnection(host, port, timeout=timeout)
    keep.request("GET", "/")
    keep.getresponse().read()
for _ in range(count):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
        ok += 1
    except OSError as e:
        if e.errno == errno.EADDRNOTAVAIL:
            addrnotavail += 1
        else:
            other += 1
    finally:
        conn.close()
if keep:
    keep.close()
print(f"ok={ok} eaddrnotavail={addrnotavail} other={other}")
