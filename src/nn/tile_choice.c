/* tile_choice.c - the register tile of a path: PAT_TILE, a per-CPU-model
 * cache file, or a short measurement (see tile_choice.h). */
#include "nn/tile_choice.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif
#ifndef PAT_NO_THREADS
#include <pthread.h>
#include <stdatomic.h>
#endif

#define PASSES 3        /* timed passes per tile; the best one counts */
#define KEY_MAX 512     /* cache key: CPU model, path, tile names */
#define CACHE_MAGIC "pat tile choice 1"

/* ---- the CPU model ----------------------------------------------------------- */

/* The CPU's brand string and family/model/stepping (cpuid), or "unknown CPU". */
static void cpu_model(char *out, size_t size) {
    snprintf(out, size, "unknown CPU");
#if defined(__x86_64__) && defined(__GNUC__)
    unsigned regs[12], eax, ebx, ecx, edx;
    if (__get_cpuid_max(0x80000000u, NULL) < 0x80000004u || !__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return;
    for (unsigned leaf = 0; leaf < 3; leaf++)
        __get_cpuid(0x80000002u + leaf, &regs[4 * leaf], &regs[4 * leaf + 1],
                    &regs[4 * leaf + 2], &regs[4 * leaf + 3]);
    char brand[49];
    memcpy(brand, regs, 48);
    brand[48] = '\0';
    const char *b = brand;
    while (*b == ' ') b++;
    for (size_t n = strlen(brand); n > 0 && brand[n - 1] == ' '; n--) brand[n - 1] = '\0';
    const unsigned family = ((eax >> 8) & 0xf) + ((eax >> 20) & 0xff);
    const unsigned model = ((eax >> 4) & 0xf) | ((eax >> 12) & 0xf0);
    snprintf(out, size, "%s (family %u model %u stepping %u)", b, family, model, eax & 0xf);
#endif
}

/* The cache key: CPU model, path, and the path's tiles (a new tile set measures again). */
static void cache_key(const struct pat_tile_menu *menu, char *key, size_t size) {
    char cpu[160];
    cpu_model(cpu, sizeof cpu);
    size_t len = (size_t)snprintf(key, size, "%s; %s:", cpu, menu->isa_name);
    for (int t = 0; t < menu->count && len < size; t++)
        len += (size_t)snprintf(key + len, size - len, " %s", menu->name(menu->isa, t));
    for (char *p = key; *p; p++) /* one line in the file */
        if (*p == '\n' || *p == '\r') *p = ' ';
}

/* ---- the cache file ---------------------------------------------------------- */

static unsigned long long fnv1a(const char *s) {
    unsigned long long h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int cache_file(const char *dir, const char *key, char *path, size_t size) {
    int n = snprintf(path, size, "%s/tile-%016llx", dir, fnv1a(key));
    return n > 0 && (size_t)n < size;
}

/* The tile named in the cache file for key, or -1. */
static int cache_read(const struct pat_tile_menu *menu, const char *dir, const char *key) {
    char path[4096], text[KEY_MAX + 128], want[KEY_MAX + 64];
    if (!cache_file(dir, key, path, sizeof path)) return -1;
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    const size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    snprintf(want, sizeof want, "%s\n%s\n", CACHE_MAGIC, key);
    const size_t head = strlen(want);
    if (len <= head || memcmp(text, want, head) != 0) return -1;
    for (int t = 0; t < menu->count; t++) {
        const char *name = menu->name(menu->isa, t);
        const size_t n = strlen(name);
        if (len == head + n + 1 && memcmp(text + head, name, n) == 0 && text[head + n] == '\n')
            return t;
    }
    return -1;
}

/* mkdir -p of dir's last two levels (…/.cache/pat); existing ones are fine. */
static int make_dirs(const char *dir) {
    char parent[4096];
    const size_t n = strlen(dir);
    if (n == 0 || n >= sizeof parent) return 0;
    memcpy(parent, dir, n + 1);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (mkdir(parent, 0700) != 0 && errno != EEXIST) return 0;
    }
    return mkdir(dir, 0700) == 0 || errno == EEXIST;
}

/* Writes the choice through a temporary and a rename; failures are ignored. */
static void cache_write(const struct pat_tile_menu *menu, const char *dir, const char *key,
                        int tile) {
    char path[4096], tmp[4200];
    if (!make_dirs(dir) || !cache_file(dir, key, path, sizeof path)) return;
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    const int fd = mkstemp(tmp);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return;
    }
    const int ok = fprintf(f, "%s\n%s\n%s\n", CACHE_MAGIC, key, menu->name(menu->isa, tile)) > 0;
    if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) unlink(tmp);
}

/* ---- measuring ------------------------------------------------------------------ */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The tile whose best pass was fastest: one warm-up pass each, then PASSES
 * rounds running every tile once (interleaved, so a burst of load from
 * other processes falls on all of them); -1 without memory. */
static int measure(const struct pat_tile_menu *menu) {
    float *scratch = malloc(menu->scratch_floats * sizeof *scratch);
    double *best = malloc((size_t)menu->count * sizeof *best);
    int winner = -1;
    if (scratch && best) {
        for (size_t i = 0; i < menu->scratch_floats; i++) scratch[i] = 0.25f + 0.125f * (float)(i % 7);
        for (int t = 0; t < menu->count; t++) {
            menu->run(menu->isa, t, scratch);
            best[t] = 1e30;
        }
        for (int pass = 0; pass < PASSES; pass++)
            for (int t = 0; t < menu->count; t++) {
                const double t0 = now_seconds();
                menu->run(menu->isa, t, scratch);
                const double sec = now_seconds() - t0;
                best[t] = sec < best[t] ? sec : best[t];
            }
        winner = 0;
        for (int t = 1; t < menu->count; t++) winner = best[t] < best[winner] ? t : winner;
    }
    free(scratch), free(best);
    return winner;
}

/* ---- the choice ------------------------------------------------------------------ */

void pat_tile_decide(const struct pat_tile_menu *menu, const char *force, const char *cache_dir,
                     struct pat_tile_pick *pick) {
    char key[KEY_MAX];
    pick->tile = 0;
    snprintf(pick->how, sizeof pick->how, "the only tile");
    if (menu->count <= 1) return;
    for (int t = 0; force && t < menu->count; t++)
        if (strcmp(force, menu->name(menu->isa, t)) == 0) {
            pick->tile = t;
            snprintf(pick->how, sizeof pick->how, "PAT_TILE");
            return;
        }
    const int use_cache = cache_dir && *cache_dir && !(force && strcmp(force, "measure") == 0);
    cache_key(menu, key, sizeof key);
    const int cached = use_cache ? cache_read(menu, cache_dir, key) : -1;
    if (cached >= 0) {
        pick->tile = cached;
        snprintf(pick->how, sizeof pick->how, "cache");
        return;
    }
    const double t0 = now_seconds();
    const int t = measure(menu);
    if (t < 0) {
        snprintf(pick->how, sizeof pick->how, "default (no memory to measure)");
        return;
    }
    pick->tile = t;
    snprintf(pick->how, sizeof pick->how, "measured in %.1f ms", (now_seconds() - t0) * 1e3);
    if (use_cache) cache_write(menu, cache_dir, key, t);
}

/* $XDG_CACHE_HOME/pat when that is an absolute path, else $HOME/.cache/pat, else "". */
static void default_cache_dir(char *dir, size_t size) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n = -1;
    if (xdg && xdg[0] == '/')
        n = snprintf(dir, size, "%s/pat", xdg);
    else if (home && home[0] == '/')
        n = snprintf(dir, size, "%s/.cache/pat", home);
    if (n < 0 || (size_t)n >= size) dir[0] = '\0';
}

/* One choice per path: chosen[isa] is tile + 1 once made (0 before), how[isa]
 * is written before chosen[isa] is published. */
#ifndef PAT_NO_THREADS
static atomic_int chosen[PAT_ISA_COUNT];
static pthread_mutex_t choice_lock = PTHREAD_MUTEX_INITIALIZER;
#else
static int chosen[PAT_ISA_COUNT];
#endif
static char how[PAT_ISA_COUNT][64];

static int choose_now(const struct pat_tile_menu *menu) {
    char dir[4096];
    struct pat_tile_pick pick;
    default_cache_dir(dir, sizeof dir);
    pat_tile_decide(menu, getenv("PAT_TILE"), dir, &pick);
    memcpy(how[menu->isa], pick.how, sizeof pick.how);
    return pick.tile + 1;
}

int pat_tile_choose(const struct pat_tile_menu *menu) {
    if ((unsigned)menu->isa >= PAT_ISA_COUNT) return 0;
#ifndef PAT_NO_THREADS
    int v = atomic_load_explicit(&chosen[menu->isa], memory_order_acquire);
    if (v) return v - 1;
    pthread_mutex_lock(&choice_lock);
    v = atomic_load_explicit(&chosen[menu->isa], memory_order_relaxed);
    if (!v) {
        v = choose_now(menu);
        atomic_store_explicit(&chosen[menu->isa], v, memory_order_release);
    }
    pthread_mutex_unlock(&choice_lock);
    return v - 1;
#else
    if (!chosen[menu->isa]) chosen[menu->isa] = choose_now(menu);
    return chosen[menu->isa] - 1;
#endif
}

const char *pat_tile_how(enum pat_isa isa) {
    if ((unsigned)isa >= PAT_ISA_COUNT) return "";
#ifndef PAT_NO_THREADS
    if (!atomic_load_explicit(&chosen[isa], memory_order_acquire)) return "";
#else
    if (!chosen[isa]) return "";
#endif
    return how[isa];
}
