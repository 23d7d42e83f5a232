/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An intrusive hash table of nodes keyed by a 64-bit hash: lookups by lease id or owner process
 * without walking every lease. The caller compares the full key of the nodes a lookup returns. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct HashNode {
        struct HashNode *next;
        uint64_t key;
} HashNode;

typedef struct HashTable {
        HashNode **buckets;
        size_t n_buckets;       /* a power of two, or 0 before the first add */
        size_t n;
} HashTable;

/* Adds n under key. Grows the table when it is full; if growing fails the chains just get longer,
 * so only the very first add can fail (-ENOMEM). */
int hash_table_add(HashTable *t, HashNode *n, uint64_t key);
void hash_table_remove(HashTable *t, HashNode *n);
/* The first node with key, then the next with the same key after n, or NULL. */
HashNode *hash_table_find(const HashTable *t, uint64_t key);
HashNode *hash_table_find_next(const HashNode *n);
void hash_table_done(HashTable *t);
/* FNV-1a of a string. */
uint64_t hash_string(const char *s);
