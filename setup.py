"""Builds the optional compiled kernels of filters/_native (Cython); everything else is in
pyproject.toml. Without Cython or a C compiler the package installs without them and the
pure-Python code paths run instead (same results, slower)."""
from pathlib import Path

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:          # no Cython: pure Python only
    ext_modules = []
else:
    sources = sorted(Path("filters/_native").glob("*.pyx"))
    ext_modules = cythonize(
        [Extension(f"filters._native.{p.stem}", [str(p)], optional=True,
                   extra_compile_args=["-O2"]) for p in sources],
        language_level=3, quiet=True,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True,
                             "initializedcheck": False})

setup(ext_modules=ext_modules)
