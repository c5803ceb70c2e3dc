/* test_score_shard.c - pat score in pieces (score.h's pick, score/shard.h),
 * as the ranks of a job under mpirun compute it, simulated without MPI:
 * every way of dealing the participants of files and a folder to 2 or 3
 * "ranks", packed and merged, gives the bytes of one call over everything;
 * damaged or overlapping pieces are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/depresjon.h"
#include "data/files.h"
#include "data/synth.h"
#include "score/score.h"
#include "score/shard.h"

#define DEMO_MODEL "models/pat-s-depresjon.safetensors"

struct deal {
    size_t rank, ranks;
};

/* Paths 0 and 2 are files owned whole by rank path mod N; path 1 is a
 * folder whose participant k goes to rank (k + 1) mod N. */
static int pick(void *user, size_t path, size_t k) {
    const struct deal *d = user;
    if (path != 1) return path % d->ranks == d->rank;
    return k == PAT_SCORE_ANY || (k + 1) % d->ranks == d->rank;
}

struct fixture {
    struct pat_model *m;
    struct pat_score_params sp;
    char dir[600], file0[700], file2[700];
    const char *paths[3];
};

static int setup(struct check_ctx *c, struct fixture *f) {
    struct pat_err err = {0};
    FILE *probe = fopen(DEMO_MODEL, "rb");
    if (!probe) {
        check_skip(c, "%s not found (run from the repository root)", DEMO_MODEL);
        return 0;
    }
    fclose(probe);
    snprintf(f->dir, sizeof f->dir, "%s/shard_cohort", check_tmp_dir());
    struct pat_synth_params sy = pat_synth_default_params();
    sy.n = 5, sy.days = 8, sy.seed = 3;
    int found = 0;
    f->sp = pat_score_default_params();
    f->sp.explain = f->sp.keep_values = 1;
    f->sp.batch = 3; /* several batches per participant */
    if (!CHECK_STATUS(c, pat_synth_depresjon(f->dir, &sy, &err), PAT_OK) ||
        !CHECK_STATUS(c, pat_model_load(DEMO_MODEL, &f->m, &err), PAT_OK) ||
        !CHECK_STATUS(c, pat_recipe_from_model(f->m, &f->sp.recipe, &found, &err), PAT_OK))
        return 0;
    snprintf(f->file0, sizeof f->file0, "%s/control/control_2.csv", f->dir);
    snprintf(f->file2, sizeof f->file2, "%s/condition/condition_1.csv", f->dir);
    f->paths[0] = f->file0, f->paths[1] = f->dir, f->paths[2] = f->file2;
    return CHECK(c, found);
}

static void test_pieces_merge_to_one_call(struct check_ctx *c) {
    struct fixture f = {0};
    struct pat_err err = {0};
    struct pat_score_result full, merged;
    unsigned char *want = NULL, *got = NULL, *bufs[3] = {0};
    size_t want_n = 0, got_n, sizes[3];
    if (!setup(c, &f)) goto done;
    if (!CHECK_STATUS(c, pat_score_files(f.m, &f.sp, f.paths, 3, &full, &err), PAT_OK)) goto done;
    CHECK(c, full.np == 7 && full.nw > 7);
    CHECK_STATUS(c, pat_score_result_pack(&full, &want, &want_n, &err), PAT_OK);
    pat_score_result_free(&full);
    for (size_t ranks = 2; ranks <= 3; ranks++) {
        struct deal d[3];
        for (size_t r = 0; r < ranks; r++) {
            struct pat_score_result piece;
            d[r] = (struct deal){r, ranks};
            f.sp.pick = pick, f.sp.pick_user = &d[r];
            CHECK_STATUS(c, pat_score_files(f.m, &f.sp, f.paths, 3, &piece, &err), PAT_OK);
            CHECK_STATUS(c, pat_score_result_pack(&piece, &bufs[r], &sizes[r], &err), PAT_OK);
            pat_score_result_free(&piece);
        }
        if (CHECK_STATUS(c, pat_score_result_merge((const unsigned char *const *)bufs, sizes,
                                                   ranks, &merged, &err), PAT_OK) &&
            CHECK_STATUS(c, pat_score_result_pack(&merged, &got, &got_n, &err), PAT_OK)) {
            if (!(got_n == want_n && memcmp(got, want, want_n) == 0))
                check_fail(c, "%zu pieces merged differ from one call", ranks);
        }
        pat_score_result_free(&merged);
        free(got), got = NULL;
        /* a piece twice: its participants scored twice */
        const unsigned char *twice[2] = {bufs[1], bufs[1]};
        size_t twice_n[2] = {sizes[1], sizes[1]};
        CHECK_STATUS(c, pat_score_result_merge(twice, twice_n, 2, &merged, &err), PAT_ERR_FORMAT);
        /* a piece cut short */
        size_t cut[3] = {sizes[0], sizes[1] - 1, sizes[2]};
        CHECK_STATUS(c, pat_score_result_merge((const unsigned char *const *)bufs, cut, ranks,
                                               &merged, &err), PAT_ERR_FORMAT);
        for (size_t r = 0; r < ranks; r++) free(bufs[r]), bufs[r] = NULL;
    }
done:
    free(want);
    pat_model_free(f.m);
}

/* A folder's files that a piece does not score are not read: a bad file
 * there fails only the piece that reads it. */
static void test_unpicked_folder_files_unread(struct check_ctx *c) {
    struct fixture f = {0};
    struct pat_err err = {0};
    struct pat_score_result piece;
    char **files = NULL, name[256];
    float *labels = NULL;
    size_t n = 0;
    if (!setup(c, &f)) goto done;
    /* the folder's participant 1 goes to rank (1 + 1) mod 2 = 0 */
    if (!CHECK_STATUS(c, pat_depresjon_list(f.dir, &files, &labels, &n, &err), PAT_OK) ||
        !CHECK(c, n == 5))
        goto done;
    pat_path_stem(files[1], name, sizeof name);
    CHECK(c, check_write_file(files[1], "not,a\nrecording\n", 16));
    struct deal d1 = {1, 2}, d0 = {0, 2};
    f.sp.pick = pick, f.sp.pick_user = &d1;
    CHECK_STATUS(c, pat_score_files(f.m, &f.sp, f.paths, 3, &piece, &err), PAT_OK);
    pat_score_result_free(&piece);
    f.sp.pick_user = &d0;
    CHECK(c, pat_score_files(f.m, &f.sp, f.paths, 3, &piece, &err) != PAT_OK &&
                 strstr(err.msg, name));
done:
    pat_names_free(files, n);
    free(labels);
    pat_model_free(f.m);
}

int main(void) {
    int failures = 0;
    RUN(test_pieces_merge_to_one_call);
    RUN(test_unpicked_folder_files_unread);
    return failures ? 1 : 0;
}
