/* bootlog.c — placeholder, being written. */
#include "bootlog.h"
