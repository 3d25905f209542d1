"""Print openapi.yaml, generated from the app (a test fails when the file drifts)."""

import sys

import yaml

from app.main import create_app
from app.settings import Settings


def render() -> str:
    app = create_app(Settings(DATABASE_URL="sqlite:///:memory:"))
    return yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(render())
