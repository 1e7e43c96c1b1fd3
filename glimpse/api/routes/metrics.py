"""Prometheus metrics, for scrapers only: addresses in GLIMPSE_METRICS_ALLOW, with the bearer
token GLIMPSE_METRICS_TOKEN when one is set (README, "Deploying")."""

from __future__ import annotations

import secrets
from ipaddress import IPv4Address, IPv6Address, ip_address

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from glimpse.api.deps import ServicesDep
from glimpse.errors import Forbidden
from glimpse.settings import Settings

router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, services: ServicesDep) -> Response:
    """The instance's metrics in Prometheus's text format (read on the event loop, where the
    hub's state lives)."""
    _check_scraper(request, services.settings)
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _check_scraper(request: Request, settings: Settings) -> None:
    client = request.client.host if request.client else ""
    try:
        address: IPv4Address | IPv6Address | None = ip_address(client)
    except ValueError:
        address = None  # not an IP address (a Unix socket)
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket's IPv4 client
    if address is None or not any(address in network for network in settings.metrics_networks):
        raise Forbidden(
            "metrics are served only to the addresses in GLIMPSE_METRICS_ALLOW",
            code="metrics_forbidden",
        )
    token = settings.metrics_token
    given = request.headers.get("authorization", "").encode()
    if token is not None and not secrets.compare_digest(
        given, f"Bearer {token.get_secret_value()}".encode()
    ):
        raise Forbidden(
            "metrics need the GLIMPSE_METRICS_TOKEN bearer token", code="metrics_forbidden"
        )
