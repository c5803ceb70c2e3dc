/* idmap.h - participant ids -> dense indices 0, 1, 2, ... in insertion
 * order (open-addressing hash table; strings are copied). */
#ifndef PAT_DATA_IDMAP_H
#define PAT_DATA_IDMAP_H

#include <stddef.h>

#define PAT_ID_NONE ((size_t)-1)

struct pat_idmap {
    char **ids;     /* n ids by index */
    size_t n, ids_cap;
    size_t *slots;  /* index + 1, 0 = empty */
    size_t nslots;  /* power of two */
};

void pat_idmap_init(struct pat_idmap *m);
void pat_idmap_free(struct pat_idmap *m);
/* Index of id, or PAT_ID_NONE. */
size_t pat_idmap_find(const struct pat_idmap *m, const char *id);
/* Index of id, adding it when new (*added = 1). Returns 0 when out of memory. */
int pat_idmap_add(struct pat_idmap *m, const char *id, size_t *index, int *added);

#endif /* PAT_DATA_IDMAP_H */
