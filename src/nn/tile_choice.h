/* tile_choice.h - which register tile a path with several uses (nn/gemm.c).
 *
 * The tiles of one path give the same bits (gemm.h), so the choice is about
 * speed only, and the fastest depends on the CPU (caches, load ports, how
 * many vector registers it renames). It is made once per process and path:
 *
 *   1. PAT_TILE=<name> (e.g. 6x32) forces a tile of the path that has that
 *      name; PAT_TILE=measure measures without reading or writing the cache;
 *   2. else the cache file for this CPU model and path, when it is readable
 *      and well formed: $XDG_CACHE_HOME/pat/tile-<hash> (else
 *      $HOME/.cache/pat/tile-<hash>), holding the CPU model, the path and its
 *      tiles' names, and the chosen name;
 *   3. else a short measurement (a few ms: each tile on the model's product
 *      shapes, best of a few passes, passes interleaved) whose winner is
 *      written to that file (temporary + rename; any failure only means the
 *      next process measures again).
 *
 * The one-time choice (one value per path, behind a mutex) is the library's
 * second piece of global state, after nn/pool.c.
 */
#ifndef PAT_TILE_CHOICE_H
#define PAT_TILE_CHOICE_H

#include <stddef.h>

#include "nn/gemm.h"

/* The tiles of one path, as gemm.c describes them. */
struct pat_tile_menu {
    enum pat_isa isa;
    const char *isa_name; /* part of the cache key */
    int count;            /* tiles, >= 1 */
    const char *(*name)(enum pat_isa isa, int tile);
    /* Runs the sample products once with a tile; scratch holds scratch_floats
     * floats of small nonzero values. */
    void (*run)(enum pat_isa isa, int tile, float *scratch);
    size_t scratch_floats;
};

struct pat_tile_pick {
    int tile;
    char how[64]; /* "PAT_TILE", "cache", "measured in 4.1 ms", ... */
};

/* The choice without any global state: force is PAT_TILE's value (or
 * NULL), cache_dir the cache folder (or NULL: no cache). Never fails: when
 * nothing works, tile 0. */
void pat_tile_decide(const struct pat_tile_menu *menu, const char *force, const char *cache_dir,
                     struct pat_tile_pick *pick);

/* pat_tile_decide with getenv("PAT_TILE") and the default cache folder,
 * once per process and path; thread-safe. */
int pat_tile_choose(const struct pat_tile_menu *menu);

/* How pat_tile_choose chose for isa; "" before it did, and for a path of one tile. */
const char *pat_tile_how(enum pat_isa isa);

#endif /* PAT_TILE_CHOICE_H */
