"""Print a schema of the server as OpenAPI, input of the client's generated types.

`api`: the HTTP API's OpenAPI schema. `protocol`: the WebSocket protocol's messages
(glimpse/realtime/protocol.py), as the components of an otherwise empty OpenAPI document.
"""

import json
import sys
from typing import Any

import msgspec

from glimpse.app import create_app
from glimpse.realtime import protocol
from glimpse.settings import Settings


def api_schema() -> dict[str, Any]:
    return create_app(Settings()).openapi()


def protocol_schema() -> dict[str, Any]:
    unions = {"ClientMessage": protocol.AnyClientMessage, "ServerMessage": protocol.AnyServerMessage}
    roots, components = msgspec.json.schema_components(
        unions.values(), ref_template="#/components/schemas/{name}"
    )
    return {
        "openapi": "3.1.0",
        "info": {"title": "Glimpse WebSocket protocol", "version": "1"},
        "paths": {},
        "components": {"schemas": {**components, **dict(zip(unions, roots, strict=True))}},
    }


if __name__ == "__main__":
    schema = {"api": api_schema, "protocol": protocol_schema}[sys.argv[1]]()
    print(json.dumps(schema, indent=2, sort_keys=True))
