# cffi's documented build path: the extension modules are declared here, everything else is
# in pyproject.toml.
from setuptools import setup

setup(cffi_modules=["handlertable/_build.py:ffibuilder", "sim/native/_build.py:ffibuilder"])
