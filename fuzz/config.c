// SPDX-License-Identifier: MIT
/* TWSHIM_LOG, TWSHIM_LOG_LEVEL and TWSHIM_SHM (shim/config.c), as the shim
 * reads them at its first TCP socket. */
#include "config.h"
#include "fuzz.h"

static const char *const names[] = { "TWSHIM_LOG", "TWSHIM_LOG_LEVEL", "TWSHIM_SHM" };

FZ_INITIALIZE_QUIET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_config c;
	char err[512] = "";
	int rc;

	fz_env_set(names, sizeof(names) / sizeof(names[0]), data, size);
	rc = tw_config_load(&c, fz_getenv, err, sizeof(err));
	if (rc < 0)
		fz_check_err(err, sizeof(err));
	FZ_CHECK(memchr(c.shm_name, '\0', sizeof(c.shm_name)) != NULL);
	/* A name is "" (off) or what shm_open(3) takes: one leading slash. */
	FZ_CHECK(c.shm_name[0] == '\0' ||
	         (c.shm_name[0] == '/' && c.shm_name[1] != '\0' && !strchr(c.shm_name + 1, '/')));
	FZ_CHECK(c.log.sink <= TW_SINK_OFF && c.log.level <= TW_LOG_DEBUG);
	if (c.log.sink == TW_SINK_FILE)
		FZ_CHECK(c.log.path[0] == '/' && memchr(c.log.path, '\0', sizeof(c.log.path)));
	fz_env_free();
	return 0;
}
