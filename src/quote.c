/* quote.c — placeholder, being written. */
#include "quote.h"
