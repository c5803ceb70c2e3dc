"""Build of the pat._pat extension (metadata: pyproject.toml).

libpat is found, in this order, at:
  1. $PAT_PREFIX (a `make install PREFIX=...` tree: include/, lib/),
  2. the repository this folder sits in, when `make shared` has built
     ../build/libpat.so (the case of `make python` and `pip install ./python`),
  3. `pkg-config pat` (an installed libpat).
The extension is linked to libpat.so with an rpath to its folder, so it loads
without LD_LIBRARY_PATH.
"""
import os
import shlex
import subprocess

import numpy
from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args, "pat"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return shlex.split(out)


def find_libpat():
    """(include_dirs, library_dirs) of libpat."""
    prefix = os.environ.get("PAT_PREFIX")
    if prefix:
        return [os.path.join(prefix, "include")], [os.path.join(prefix, "lib")]
    repo = os.path.dirname(HERE)
    build = os.path.join(repo, os.environ.get("PAT_BUILD", "build"))
    if os.path.exists(os.path.join(build, "libpat.so")):
        return [os.path.join(repo, "include")], [build]
    cflags, libs = pkg_config("--cflags"), pkg_config("--libs-only-L")
    if libs is not None:
        return ([f[2:] for f in cflags if f.startswith("-I")],
                [f[2:] for f in libs if f.startswith("-L")])
    raise SystemExit("pat: libpat not found: run `make shared` in the repository, "
                     "set PAT_PREFIX to a `make install` prefix, or install pat.pc")


include_dirs, library_dirs = find_libpat()
threads = [] if os.environ.get("PAT_NO_OMP") or os.environ.get("PAT_NO_THREADS") else ["-pthread"]

setup(packages=["pat"], package_data={"pat": ["*.pyi", "py.typed"]}, ext_modules=[Extension(
    "pat._pat",
    sources=["pat/_pat.c"],
    include_dirs=include_dirs + [numpy.get_include()],
    library_dirs=library_dirs,
    libraries=["pat"],
    runtime_library_dirs=library_dirs,
    extra_compile_args=["-std=c11", "-O2", "-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes",
                        "-Wmissing-prototypes"] + threads,
    extra_link_args=threads,
)])
