/* ima.c — placeholder, being written. */
#include "ima.h"
