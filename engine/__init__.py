"""maasmix.engine: routing on compact numpy arrays; no file or network I/O."""
