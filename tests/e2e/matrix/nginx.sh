#!/bin/bash
# SPDX-License-Identifier: MIT
# nginx.sh DIR LISTEN [UPSTREAM]: nginx in the foreground, its config, pid,
# logs and temporary files under DIR, no keep-alive toward clients
# (keepalive_timeout 0: it closes first). With UPSTREAM (ip:port), a proxy
# to it over HTTP/1.1 without an upstream keepalive pool: nginx closes
# each upstream connection itself after the response. Without, it answers
# "ok" itself.
set -eu
dir=$1 listen=$2 up=${3:-}
mkdir -p "$dir"
if [ -n "$up" ]; then
	location="proxy_pass http://$up; proxy_http_version 1.1; proxy_set_header Connection \"\";"
else
	location='default_type text/plain; return 200 "ok\n";'
fi
cat > "$dir/nginx.conf" << CONF
user root;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 512; }
http {
	access_log off;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	keepalive_timeout 0;
	server {
		listen $listen;
		location / { $location }
	}
}
CONF
exec nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;'
