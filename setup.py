"""Packaging glue that pyproject.toml cannot express: the one namespace `maasmix`.

The layers keep their folders at the repository's top level (``feeds/``, ``engine/``,
``pricing/``, ``api/``) and are installed as `maasmix.feeds`, `maasmix.engine`, ...;
the root package ``maasmix/`` holds the shared primitives. No other top-level name is
installed.
"""

from setuptools import find_namespace_packages, setup

LAYERS = ("feeds", "engine", "pricing", "api")

packages = ["maasmix"]
package_dir = {"maasmix": "maasmix"}
for layer in LAYERS:
    package_dir[f"maasmix.{layer}"] = layer
    # namespace discovery also takes the data folders (pricing/schema, examples, templates)
    found = find_namespace_packages(include=[layer, f"{layer}.*"], exclude=["*__pycache__"])
    packages += [f"maasmix.{name}" for name in found]

setup(packages=packages, package_dir=package_dir)
