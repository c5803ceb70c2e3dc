/* keras_h5_write.h - internal helpers of the Keras HDF5 writer
 * (pat_model_export_keras in pat.h). */
#ifndef PAT_IO_KERAS_H5_WRITE_H
#define PAT_IO_KERAS_H5_WRITE_H

#include "pat.h"

/* Canonical text of an HDF5 file's layout, dataset values excluded, one
 * line per object and per attribute, sorted:
 *   group /NAME
 *   dataset /NAME type=float32le shape=(a, b) layout=contiguous filters=0
 *   attr /NAME KEY type=... space=... value=...
 * where an attribute's type says class, size (or "vlen"), string charset
 * and padding, and its value is given for strings. Two files with equal
 * texts are laid out alike (what Keras' loader and pat's importer see).
 * *text is malloc'd (caller frees). PAT_ERR_UNSUPPORTED without HDF5. */
enum pat_status pat_keras_h5_describe(const char *path, char **text, struct pat_err *err);

#endif /* PAT_IO_KERAS_H5_WRITE_H */
