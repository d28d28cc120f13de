// SPDX-License-Identifier: MIT
import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;

public class Get {
	public static void main(String[] a) throws Exception {
		int n = Integer.parseInt(a[2]);
		for (int i = 0; i < n; i++) {
			try (Socket s = new Socket(a[0], Integer.parseInt(a[1]))) {
				OutputStream o = s.getOutputStream();
				o.write(("GET / HTTP/1.1\r\nHost: " + a[0] + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
				o.flush();
				BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
				int len = 0;
				for (String l; !(l = r.readLine()).isEmpty();)
					if (l.toLowerCase().startsWith("content-length:"))
						len = Integer.parseInt(l.substring(15).trim());
				char[] body = new char[len];
				for (int got = 0; got < len;)
					got += r.read(body, got, len - got);
				System.out.print(body);
			}
		}
	}
}
