// SPDX-License-Identifier: MIT
/* The recursion guard (guard.h). */
#include "guard.h"

__thread int tw_guard __attribute__((tls_model("initial-exec")));
