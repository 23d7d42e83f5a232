/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An intrusive hash table keyed by a 64-bit hash, chained, doubling at one node per bucket. */
#include <errno.h>
#include <stdlib.h>

#include "core/hash.h"

#define HASH_INITIAL_BUCKETS 64

static size_t bucket_of(const HashTable *t, uint64_t key) {
        return (size_t) ((key ^ (key >> 29)) * UINT64_C(0x9e3779b97f4a7c15) >> 32) & (t->n_buckets - 1);
}

static int hash_table_resize(HashTable *t, size_t n_buckets) {
        HashNode **b = calloc(n_buckets, sizeof(HashNode *));
        if (!b)
                return -ENOMEM;
        HashTable grown = { .buckets = b, .n_buckets = n_buckets, .n = t->n };
        for (size_t i = 0; i < t->n_buckets; i++)
                for (HashNode *n = t->buckets[i], *next; n; n = next) {
                        next = n->next;
                        size_t j = bucket_of(&grown, n->key);
                        n->next = b[j];
                        b[j] = n;
                }
        free(t->buckets);
        *t = grown;
        return 0;
}

int hash_table_add(HashTable *t, HashNode *n, uint64_t key) {
        if (t->n_buckets == 0 && hash_table_resize(t, HASH_INITIAL_BUCKETS) < 0)
                return -ENOMEM;
        if (t->n >= t->n_buckets)
                (void) hash_table_resize(t, t->n_buckets * 2);  /* longer chains if it fails */
        size_t i = bucket_of(t, key);
        n->key = key;
        n->next = t->buckets[i];
        t->buckets[i] = n;
        t->n++;
        return 0;
}

void hash_table_remove(HashTable *t, HashNode *n) {
        if (t->n_buckets == 0)
                return;
        for (HashNode **p = &t->buckets[bucket_of(t, n->key)]; *p; p = &(*p)->next)
                if (*p == n) {
                        *p = n->next;
                        n->next = NULL;
                        t->n--;
                        return;
                }
}

static HashNode *first_with_key(HashNode *n, uint64_t key) {
        while (n && n->key != key)
                n = n->next;
        return n;
}

HashNode *hash_table_find(const HashTable *t, uint64_t key) {
        return t->n_buckets == 0 ? NULL : first_with_key(t->buckets[bucket_of(t, key)], key);
}

HashNode *hash_table_find_next(const HashNode *n) {
        return first_with_key(n->next, n->key);
}

void hash_table_done(HashTable *t) {
        free(t->buckets);
        *t = (HashTable) {};
}

uint64_t hash_string(const char *s) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        for (; *s; s++)
                h = (h ^ (uint8_t) *s) * UINT64_C(0x100000001b3);
        return h;
}
