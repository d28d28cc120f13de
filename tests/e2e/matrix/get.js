// SPDX-License-Identifier: MIT
const http = require('http');
const [host, port, n] = process.argv.slice(2);
let i = 0;
function next() {
  if (i++ >= +n) return;
  http.get({host, port: +port, path: '/', agent: false}, res => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', d => body += d);
    res.on('end', () => { process.stdout.write(body); next(); });
  }).on('error', e => { console.error(e.message); process.exitCode = 1; });
}
next();
