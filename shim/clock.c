// SPDX-License-Identifier: MIT
/* The shim's clocks (vDSO calls: no system call, async-signal-safe), and
 * its one way of waiting for another of its threads. */
#include "clock.h"

#include <sched.h>
#include <time.h>

uint64_t tw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t tw_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tw_backoff(int round)
{
	struct timespec pause = { 0, 1000000 };

	if (round < 100)
		sched_yield();
	else
		nanosleep(&pause, NULL);
}
