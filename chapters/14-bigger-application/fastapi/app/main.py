"""The app, as `uvicorn app.main:app` starts it: the settings read from the environment, then
the service built from them (`service.py`)."""

from .config import ConfigError, Settings
from .service import create_app


# ANCHOR: main
def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as err:
        # Before anything listens, with the setting's name: the start stops here.
        raise SystemExit(f"error: {err}")


app = create_app(load_settings())
# ANCHOR_END: main
