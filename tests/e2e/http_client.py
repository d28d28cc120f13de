"""A legacy Python client: one http.client connection per request, closed
by the client. Prints ok=N eaddrnotavail=M other=K.

http_client.py HOST PORT COUNT [keep]: with 'keep', one more connection is
made first and left open (its request answered) until the end."""
import errno
import http.client
import sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ok = addrnotavail = other = 0
keep = None
if len(sys.argv) > 4 and sys.argv[4] == "keep":
    keep = http.client.HTTPConnection(host, port, timeout=5)
    keep.request("GET", "/")
    keep.getresponse().read()
for _ in range(count):
    conn = http.client.HTTPConnection(host, port, timeout=5)
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
