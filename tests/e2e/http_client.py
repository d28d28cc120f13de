"""A legacy Python client: one http.client connection per request, closed
by the client. Prints ok=N eaddrnotavail=M other=K."""
import errno
import http.client
import sys

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ok = addrnotavail = other = 0
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
print(f"ok={ok} eaddrnotavail={addrnotavail} other={other}")
