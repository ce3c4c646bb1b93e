/*
 * sm3.h — the SM3 compression function (GB/T 32905-2016), for the sm3_256
 * bank: bank.c pads the message and calls it block by block.
 */
#ifndef RIV_SM3_H
#define RIV_SM3_H

#include <stddef.h>
#include <stdint.h>

#define SM3_BLOCK	64	/* bytes per block */

void	sm3_init(uint32_t *);
void	sm3_blocks(uint32_t *, const uint8_t *, size_t);

#endif
