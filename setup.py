"""Build the optional C kernels (everything else is in pyproject.toml).

``protocols._hmac_kernel`` (protocols/hmac_batch.py), ``protocols._phone_kernel``
(protocols/phone_batch.py) and ``protocols._ristretto_kernel`` (protocols/ristretto_native.py)
are optional: where no C compiler or Python headers exist the build prints a warning,
skips them, and the package runs on its pure-Python paths (hashlib; Arrow regexes;
libsodium through ctypes).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "protocols._hmac_kernel",
            sources=["protocols/_hmac_kernel.c"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "protocols._phone_kernel",
            sources=["protocols/_phone_kernel.c"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "protocols._ristretto_kernel",
            sources=["protocols/_ristretto_kernel.c"],
            extra_compile_args=["-O2"],
            optional=True,
        ),
    ]
)
