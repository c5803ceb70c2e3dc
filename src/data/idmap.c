/* idmap.c - string -> index hash table (FNV-1a, linear probing, load <= 1/2). */
#include "data/idmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void pat_idmap_init(struct pat_idmap *m) { memset(m, 0, sizeof *m); }

void pat_idmap_free(struct pat_idmap *m) {
    for (size_t i = 0; i < m->n; i++) free(m->ids[i]);
    free(m->ids);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Slot holding id, or the empty slot where it would go. */
static size_t probe(const struct pat_idmap *m, const char *id) {
    size_t mask = m->nslots - 1, i = (size_t)hash(id) & mask;
    while (m->slots[i] && strcmp(m->ids[m->slots[i] - 1], id) != 0) i = (i + 1) & mask;
    return i;
}

size_t pat_idmap_find(const struct pat_idmap *m, const char *id) {
    if (!m->nslots) return PAT_ID_NONE;
    size_t s = m->slots[probe(m, id)];
    return s ? s - 1 : PAT_ID_NONE;
}

static int grow(struct pat_idmap *m) {
    size_t ns = m->nslots ? m->nslots * 2 : 64;
    size_t *slots = pat_calloc(ns, sizeof *slots);
    if (!slots) return 0;
    free(m->slots);
    m->slots = slots;
    m->nslots = ns;
    for (size_t k = 0; k < m->n; k++) m->slots[probe(m, m->ids[k])] = k + 1;
    return 1;
}

int pat_idmap_add(struct pat_idmap *m, const char *id, size_t *index, int *added) {
    *added = 0;
    size_t found = pat_idmap_find(m, id);
    if (found != PAT_ID_NONE) {
        *index = found;
        return 1;
    }
    if ((m->n + 1) * 2 > m->nslots && !grow(m)) return 0;
    if (m->n == m->ids_cap) {
        size_t cap = m->ids_cap ? m->ids_cap * 2 : 64;
        char **g = realloc(m->ids, cap * sizeof *g);
        if (!g) return 0;
        m->ids = g;
        m->ids_cap = cap;
    }
    char *copy = pat_strdup(id);
    if (!copy) return 0;
    m->ids[m->n] = copy;
    m->slots[probe(m, id)] = m->n + 1;
    *index = m->n++;
    *added = 1;
    return 1;
}
