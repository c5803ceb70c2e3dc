"""pat: the Pretrained Actigraphy Transformer (PAT) for Python.

Thin bindings to libpat (C): the same code and the same bits as the `pat`
command line, numpy arrays in and out.

    >>> import pat
    >>> m = pat.load("PAT-M.safetensors")         # or a Keras .h5 weights file
    >>> emb = m.embed(weeks)                       # (B, 10080) -> (B, 96) float32
    >>> m.close()

Errors from the library raise pat.PatError with .message and .status.
"""
from ._pat import (ERR_FORMAT, ERR_IO, ERR_NOMEM, ERR_NUMERIC, ERR_UNSUPPORTED,
                   ERR_USAGE, LIB_VERSION, OK, Dataset, Model, PatError,
                   have_hdf5, load, open_dataset)

__version__ = LIB_VERSION
__all__ = ["load", "open_dataset", "have_hdf5", "Model", "Dataset", "PatError",
           "OK", "ERR_USAGE", "ERR_IO", "ERR_FORMAT", "ERR_NUMERIC", "ERR_NOMEM",
           "ERR_UNSUPPORTED", "__version__"]
