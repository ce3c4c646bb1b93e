/* ima_policy.c — placeholder, being written. */
#include "ima_policy.h"
