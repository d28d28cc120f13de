# SPDX-License-Identifier: MIT
"""py_get.py LIB HOST PORT N: N GET requests, one connection each, closed by
the client, printing each body. LIB: http.client, requests (one Session
per request, as requests.get does) or asyncio (streams)."""
import asyncio
import http.client
import sys

lib, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
url = f"http://{host}:{port}/"


def with_http_client():
    for _ in range(n):
        c = http.client.HTTPConnection(host, port)
        c.request("GET", "/")
        sys.stdout.write(c.getresponse().read().decode())
        c.close()


def with_requests():
    import requests

    for _ in range(n):
        sys.stdout.write(requests.get(url).text)


async def with_asyncio():
    for _ in range(n):
        r, w = await asyncio.open_connection(host, port)
        w.write(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        length = 0
        while (line := await r.readline()) != b"\r\n":
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        sys.stdout.write((await r.readexactly(length)).decode())
        w.close()
        await w.wait_closed()


if lib == "asyncio":
    asyncio.run(with_asyncio())
else:
    {"http.client": with_http_client, "requests": with_requests}[lib]()
