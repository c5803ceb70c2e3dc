"""Type hints for the pat package (the extension module pat._pat)."""
from os import PathLike
from typing import Any, Dict, List, Optional, Union

import numpy as np
import numpy.typing as npt

__version__: str
LIB_VERSION: str
OK: int
ERR_USAGE: int
ERR_IO: int
ERR_FORMAT: int
ERR_NUMERIC: int
ERR_NOMEM: int
ERR_UNSUPPORTED: int

_Path = Union[str, bytes, PathLike]
_Rows = Union[npt.NDArray[np.float32], npt.NDArray[np.float64], "Dataset"]

class PatError(Exception):
    message: str
    status: int

class Dataset:
    x: npt.NDArray[np.float32]
    labels: npt.NDArray[np.float32]
    splits: List[str]
    ids: List[str]
    covariates: Dict[str, npt.NDArray[np.float32]]
    meta: Dict[str, str]
    rows: int
    length: int
    closed: bool
    def close(self) -> None: ...
    def __enter__(self) -> "Dataset": ...
    def __exit__(self, *exc: Any) -> None: ...

class Model:
    threads: int
    info: Dict[str, Any]
    closed: bool
    def embed(self, x: _Rows, *, threads: Optional[int] = ...,
              precision: str = ...) -> npt.NDArray[np.float32]: ...
    def predict(self, x: _Rows, *, threads: Optional[int] = ...,
                precision: str = ...) -> npt.NDArray[np.float32]: ...
    def explain(self, x: _Rows, *, threads: Optional[int] = ...,
              precision: str = ...) -> npt.NDArray[np.float32]: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Model": ...
    def __exit__(self, *exc: Any) -> None: ...

def load(path: _Path, *, threads: Optional[int] = ...) -> Model: ...
def open_dataset(path: _Path) -> Dataset: ...
def have_hdf5() -> bool: ...
