# SPDX-License-Identifier: MIT
# Sourced by the bench/ scripts, which each run inside namespaces of their own.
#
# bench_ns FLAGS...: sets the array ns to the unshare command that makes the
# namespaces FLAGS name (-n, and -p -f -m ... as wanted): inside a user
# namespace of our own (-r) where unprivileged ones are allowed, else, as
# root, without one. Returns 1, setting nothing, when neither works.
bench_ns() {
	if unshare -r "$@" true 2>/dev/null; then
		ns=(unshare -r "$@")
	elif [ "$(id -u)" -eq 0 ] && unshare "$@" true 2>/dev/null; then
		ns=(unshare "$@")
	else
		return 1
	fi
}
