"""Every exception Storeflow defines has one root, so one ``except StoreflowError`` tells a known
refusal from a bug; and the web layer knows the answer to every refusal that reaches a door."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import pytest

import app
import flows
import webhooks
from app.core.errors import StoreflowError
from app.platforms.saleor.errors import RegistrationError
from app.platforms.shopify.errors import CodeExchangeError, InstallRequestError
from app.storefront.errors import StorefrontError
from app.web.errors import STATUS_BY_REASON, status_for
from webhooks.errors import WebhookError


def modules(package: ModuleType) -> Iterator[ModuleType]:
    yield package
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        yield importlib.import_module(info.name)


def defined_exceptions() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in (app, webhooks, flows):
        for module in modules(package):
            for _, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, BaseException) and value.__module__ == module.__name__:
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_the_walk_finds_the_exceptions_of_every_floor():
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in defined_exceptions()}
    assert len(names) >= 80
    assert {"webhooks.errors.WebhookError", "flows.params.ParamError", "app.core.config.ConfigError"} <= names


@pytest.mark.parametrize("cls", defined_exceptions(), ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_exception_storeflow_defines_derives_from_storeflow_error(cls):
    assert issubclass(cls, StoreflowError)


ANSWERED = (WebhookError, StorefrontError, InstallRequestError)


@pytest.mark.parametrize(
    "cls",
    [cls for cls in defined_exceptions() if issubclass(cls, ANSWERED)],
    ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
)
def test_every_refusal_a_door_answers_has_a_status(cls):
    assert 400 <= STATUS_BY_REASON[cls.reason] < 600


def test_a_refusal_carries_its_own_reason_when_it_has_more_than_one():
    assert status_for(CodeExchangeError("refused")) == 400
    assert status_for(CodeExchangeError("no answer", "shopify_unreachable")) == 502
    assert status_for(RegistrationError("SALEOR_URL_PROHIBITED", "not on the allowlist")) == 403


def test_domain_errors_carry_a_reason_and_no_http_status():
    for cls in defined_exceptions():
        if cls.__module__.startswith("app.web"):
            continue
        assert not isinstance(getattr(cls, "status", None), int), cls
