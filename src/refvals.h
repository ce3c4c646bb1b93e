/* refvals.h — placeholder, being written. */
#ifndef RIV_REFVALS_H
#define RIV_REFVALS_H
#include "pcrset.h"
#endif
