"""maasmix.api: the interfaces (CLI, FastAPI app, settings, storage); no logic of its own."""
