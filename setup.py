"""Build the optional C kernel of protocols/hmac_batch.py (everything else is in pyproject.toml).

``protocols._hmac_kernel`` is optional: where no C compiler or Python headers exist the
build prints a warning, skips it, and the package runs on its pure-Python (hashlib) path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "protocols._hmac_kernel",
            sources=["protocols/_hmac_kernel.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
