/* synth.h - synthetic cohorts for tests, demos and benchmarks, seeded and
 * reproducible (docs/data.md "Synthetic cohorts").
 *
 * Each participant gets a rest-activity rhythm: a bedtime and sleep length
 * of their own, later sleep on weekends, low activity while asleep with
 * brief awakenings, a daytime level with an afternoon peak, lognormal
 * minute-to-minute noise, and occasional non-wear gaps (zeros). Depressed
 * participants (with probability `prevalence`) get the planted signal,
 * scaled by `effect` in [0, 1]: daytime activity reduced by up to 40 %,
 * sleep longer by up to 1.5 h and more fragmented, bedtime more variable.
 */
#ifndef PAT_DATA_SYNTH_H
#define PAT_DATA_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "pat.h"

struct pat_synth_params {
    size_t n;          /* participants (default 40) */
    double prevalence; /* fraction depressed (default 0.4) */
    double effect;     /* strength of the planted signal, 0..1 (default 0.5) */
    double nonwear;    /* probability per day of a non-wear gap (default 0.1) */
    size_t days;       /* Depresjon: recording days (default 14); NHANES uses 9 */
    uint64_t seed;     /* default 1 */
};

struct pat_synth_params pat_synth_default_params(void);

/* dir/condition/condition_N.csv, dir/control/control_N.csv, dir/scores.csv
 * in the Depresjon layout (counts 0..8000; controls have NA clinical
 * columns). dir is created if needed; files are written atomically. */
enum pat_status pat_synth_depresjon(const char *dir, const struct pat_synth_params *p,
                                    struct pat_err *err);

/* dir/PAXMIN_H.XPT, dir/PAXDAY_H.XPT, dir/DPQ_H.XPT, dir/DEMO_H.XPT in the
 * NHANES 2013-14 layouts (SEQN from 73557), written with libreadstat.
 * PAXAISMM is filled with plausible idle-sleep counts so that reading it
 * by mistake is detectable. PAT_ERR_UNSUPPORTED without libreadstat. */
enum pat_status pat_synth_nhanes(const char *dir, const struct pat_synth_params *p,
                                 struct pat_err *err);

#endif /* PAT_DATA_SYNTH_H */
