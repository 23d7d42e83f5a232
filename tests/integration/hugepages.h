/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reserving hugepages for a test, and giving back exactly what it took, whatever happens. */
#pragma once

#include <stdint.h>

/* Adds n pages of page_size to the kernel's pool. Returns 0, or -ENOMEM (after giving back what it
 * got) when the kernel found fewer. */
int hugepages_reserve(uint64_t page_size, unsigned n);
/* Free pages of page_size now. */
unsigned hugepages_free(uint64_t page_size);
