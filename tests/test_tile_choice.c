/* test_tile_choice.c - how a path's register tile is chosen (nn/tile_choice.c):
 * PAT_TILE forces, the cache file answers when it is well formed and for this
 * CPU and tile set, a measurement otherwise (and then writes the file), and
 * nothing that goes wrong with the file is fatal. A fake path of three tiles,
 * of which "fast" does a hundredth of the others' work, stands for gemm.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "check.h"
#include "nn/gemm.h"
#include "nn/tile_choice.h"

static const char *fake_name(enum pat_isa isa, int tile) {
    static const char *const names[] = {"slow", "fast", "slower"};
    (void)isa;
    return names[tile];
}

/* Work proportional to the tile's cost: 1 for "fast", 100 or 150 for the others. */
static void fake_run(enum pat_isa isa, int tile, float *scratch) {
    const int units = tile == 1 ? 1 : tile == 0 ? 100 : 150;
    volatile float sink = 0;
    (void)isa;
    for (int u = 0; u < units; u++)
        for (size_t i = 0; i < 2000; i++) sink = sink * 0.5f + scratch[i];
}

static const struct pat_tile_menu menu = {PAT_ISA_AVX512, "fake", 3, fake_name, fake_run, 2000};

/* The single cache file the fake path wrote in dir (its name has a hash). */
static int cache_path(const char *dir, char *path, size_t size) {
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e; d && !found && (e = readdir(d));)
        if (strncmp(e->d_name, "tile-", 5) == 0 && !strchr(e->d_name, '.'))
            found = snprintf(path, size, "%s/%s", dir, e->d_name) < (int)size;
    if (d) closedir(d);
    return found;
}

static void test_force_and_measure(struct check_ctx *c) {
    struct pat_tile_pick pick;
    pat_tile_decide(&menu, "slower", NULL, &pick);
    CHECK(c, pick.tile == 2 && strcmp(pick.how, "PAT_TILE") == 0);
    pat_tile_decide(&menu, NULL, NULL, &pick);
    CHECK(c, pick.tile == 1 && strncmp(pick.how, "measured", 8) == 0);
    pat_tile_decide(&menu, "no-such-tile", NULL, &pick); /* ignored: measured */
    CHECK(c, pick.tile == 1);
    const struct pat_tile_menu one = {PAT_ISA_AVX512, "fake", 1, fake_name, fake_run, 2000};
    pat_tile_decide(&one, "slower", NULL, &pick);
    CHECK(c, pick.tile == 0);
}

static void test_cache(struct check_ctx *c) {
    char dir[512], path[600];
    struct pat_tile_pick pick;
    snprintf(dir, sizeof dir, "%s/tile_cache/pat", check_tmp_dir());
    pat_tile_decide(&menu, NULL, dir, &pick); /* creates tile_cache/pat, writes the file */
    CHECK(c, pick.tile == 1 && strncmp(pick.how, "measured", 8) == 0);
    if (!CHECK(c, cache_path(dir, path, sizeof path))) return;
    size_t len;
    char *text = (char *)check_read_file(path, &len);
    if (!CHECK(c, text && len > 0 && text[len - 1] == '\n')) return;
    CHECK(c, strstr(text, "fake: slow fast slower\nfast\n") != NULL);

    pat_tile_decide(&menu, NULL, dir, &pick);
    CHECK(c, pick.tile == 1 && strcmp(pick.how, "cache") == 0);

    /* A cached "slower" (written by hand) is believed; PAT_TILE=measure ignores it. */
    char *edited = malloc(len + 8);
    memcpy(edited, text, len - 5); /* without "fast\n" */
    memcpy(edited + len - 5, "slower\n", 7);
    CHECK(c, check_write_file(path, edited, len + 2));
    pat_tile_decide(&menu, NULL, dir, &pick);
    CHECK(c, pick.tile == 2 && strcmp(pick.how, "cache") == 0);
    pat_tile_decide(&menu, "measure", dir, &pick);
    CHECK(c, pick.tile == 1 && strncmp(pick.how, "measured", 8) == 0);
    pat_tile_decide(&menu, NULL, dir, &pick); /* "measure" wrote nothing */
    CHECK(c, pick.tile == 2);

    /* Corrupt, truncated, unknown name, other CPU: measured again, file rewritten. */
    const char *bad[] = {"garbage", "", "pat tile choice 1\n", "pat tile choice 1\nother CPU\nfast\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(c, check_write_file(path, bad[i], strlen(bad[i])));
        pat_tile_decide(&menu, NULL, dir, &pick);
        CHECK(c, pick.tile == 1 && strncmp(pick.how, "measured", 8) == 0);
        pat_tile_decide(&menu, NULL, dir, &pick);
        CHECK(c, pick.tile == 1 && strcmp(pick.how, "cache") == 0);
    }
    memcpy(edited + len - 5, "nope\n", 5);
    CHECK(c, check_write_file(path, edited, len));
    pat_tile_decide(&menu, NULL, dir, &pick);
    CHECK(c, pick.tile == 1 && strncmp(pick.how, "measured", 8) == 0);
    free(text), free(edited);
}

/* A cache folder that cannot exist (under a regular file) or cannot be
 * written: the choice is measured, every time, and nothing fails. */
static void test_cache_unwritable(struct check_ctx *c) {
    char file[512], dir[600];
    struct pat_tile_pick pick;
    snprintf(file, sizeof file, "%s/tile_cache_file", check_tmp_dir());
    CHECK(c, check_write_file(file, "x", 1));
    snprintf(dir, sizeof dir, "%s/pat", file);
    for (int i = 0; i < 2; i++) {
        pat_tile_decide(&menu, NULL, dir, &pick);
        CHECK(c, pick.tile == 1 && strncmp(pick.how, "measured", 8) == 0);
    }
    pat_tile_decide(&menu, NULL, "", &pick);
    CHECK(c, pick.tile == 1);
}

/* The process-wide choice of the real AVX-512 path (or the only tile elsewhere). */
static void test_active(struct check_ctx *c) {
    const enum pat_isa isa = pat_isa_detect();
    const int tile = pat_tile_active(isa);
    CHECK(c, tile >= 0 && tile < pat_tile_count(isa));
    CHECK(c, pat_tile_active(isa) == tile); /* once per process */
    CHECK(c, pat_tile_count(isa) == 1 || pat_tile_how(isa)[0] != '\0');
    printf("  %s: tile %s of %d (%s)\n", pat_isa_name(isa), pat_tile_name(isa, tile),
           pat_tile_count(isa), pat_tile_how(isa));
}

int main(void) {
    int failures = 0;
    RUN(test_force_and_measure);
    RUN(test_cache);
    RUN(test_cache_unwritable);
    RUN(test_active);
    return failures ? 1 : 0;
}
