"""Peer programs run on the same inputs as maasmix, each in a subprocess of its own.

A crash or a missing install of a peer is then a reported outcome (``status`` in the
peer's answer) instead of the end of the benchmark session. Each module here is a
script: it reads a JSON job on stdin and prints one JSON line on stdout.
"""
