"""Print the server's OpenAPI schema (input of the client's generated API types)."""

import json

from glimpse.app import create_app
from glimpse.settings import Settings

print(json.dumps(create_app(Settings()).openapi(), indent=2, sort_keys=True))
