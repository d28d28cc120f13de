#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Remakes the ledger target's seeds (fuzz/corpus/ledger/) from a real
# segment: a server and clients run under the shim, in a network namespace
# of their own (loopback only), then each slot they took becomes one seed:
# a flags byte, the header, that slot moved to slot 0, trailing zeros
# cut (the target puts them back); and one of the first two slots whole. Run as root or where `unshare -rn` works:
#   fuzz/ledger_seeds.sh BUILD
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "$1" && pwd)
out=fuzz/corpus/ledger
tmp=$(mktemp -d)
shm=/twshim-seeds-$$
trap 'rm -rf "$tmp"; rm -f /dev/shm$shm' EXIT

TWSHIM_SHM=$shm B=$build T=$tmp timeout 60 unshare -rn -p -f -m --mount-proc --kill-child \
	bash -c '
	set -e
	ip link set lo up
	run() { LD_PRELOAD=$B/libtwshim.so "$@"; }
	run $B/examples/ka_server -p 8081 --ready-file $T/ready >/dev/null &
	for i in $(seq 50); do [ -e $T/ready ] && break; sleep 0.1; done
	run $B/examples/legacy_client -n 40 127.0.0.1 8081 >/dev/null
	TWSHIM_CLOSE=fin-reset run $B/examples/legacy_client -n 20 127.0.0.1 8081 >/dev/null
	run $B/examples/legacy_client -k -q -n 3 127.0.0.1 9 >/dev/null || true
	run $B/examples/legacy_client -k -q -n 2 ::1 8081 >/dev/null || true
	cp /dev/shm$TWSHIM_SHM $T/segment
	kill %1'

python3 - "$tmp/segment" "$out" <<'PY'
import os, sys
seg = open(sys.argv[1], 'rb').read()
out = sys.argv[2]
HEADER = 128
DESTS_AT, DEST_SIZE, NDESTS = 1744, 1744, 16   # tests/unit/test_layout.c
slot_size = int.from_bytes(seg[16:20], 'little')  # header.slot_size
nslots = int.from_bytes(seg[20:24], 'little')     # header.slots
slots = [seg[HEADER + i * slot_size:HEADER + (i + 1) * slot_size] for i in range(nslots)]
used = [s for s in slots if s.strip(b'\0')]
for name in os.listdir(out):
    os.remove(os.path.join(out, name))

def seed(name, flags, body):
    with open(os.path.join(out, name), 'wb') as f:
        f.write((bytes([flags]) + seg[:HEADER] + body).rstrip(b'\0'))

# The flags byte (fuzz/ledger.c): each reader and option in turn, two per
# slot.
FLAGS = [0x20, 0x04, 0x30, 0x14, 0x38, 0x1c, 0x0c, 0x68, 0xe4, 0xa0]

# Each slot alone, without its catch-all entry (the last destination, at the
# end of the slot): a few KB where the mutations land on what is read.
rest_at = DESTS_AT + (NDESTS - 1) * DEST_SIZE
for i, s in enumerate(used):
    for j in (2 * i, 2 * i + 1):
        f = FLAGS[j % len(FLAGS)]
        seed('slot%d_%02x' % (i, f), f, s[:rest_at])
# The first two whole, the catch-all entry and a second slot included, for
# both readers.
seed('two_slots_stat', 0x20, used[0] + used[1])
seed('two_slots_doctor', 0x04, used[0] + used[1])
PY
ls -l "$out"
