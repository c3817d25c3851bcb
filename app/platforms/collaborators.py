"""What the platform packages use of the app's services, named here so they never import the jobs floor.

The caller (a view, a job, the CLI) passes its services in; app/jobs/services.py's ``Services`` is
one such object. Each platform function asks for this protocol, never for the app in context.
"""

from __future__ import annotations

from typing import Protocol

import requests

from app.core.clock import Clock
from app.core.config import Config
from app.core.crypto import TokenCipher
from app.platforms.saleor.jwks import JwksClient
from webhooks.inbox import ShopDirectory


class PlatformServices(Protocol):
    @property
    def config(self) -> Config: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def cipher(self) -> TokenCipher: ...

    @property
    def http(self) -> requests.Session:
        """The pooled, SSRF-guarded HTTP session for the GraphQL calls to Saleor instances."""
        ...

    @property
    def saleor_jwks(self) -> JwksClient:
        """Saleor instances' signing keys, cached for this process."""
        ...

    @property
    def shop_directory(self) -> ShopDirectory:
        """The webhook path's cache of shops, to forget one whose install changed."""
        ...
