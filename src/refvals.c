/* refvals.c — placeholder, being written. */
#include "refvals.h"
