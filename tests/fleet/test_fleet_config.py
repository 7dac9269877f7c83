"""`[agent] device`, `[agent.labels]` and `[agent.push]`: good values read, bad ones one clear line."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest

from synctui.config import parse_config
from synctui.config_fleet import host_identity
from synctui.config_values import ConfigError


def agent(**keys):
    return parse_config({"agent": keys}).agent


def test_device_labels_and_push_are_read():
    settings = agent(
        device="tab-07",
        labels={"site": "Kisumu-03"},
        push={
            "url": "https://prom.example/api/v1/write",
            "token": "t0k",
            "interval": 30,
            "buffer_max_age": "7d",
        },
    )
    assert settings.identity.as_labels() == {"device": "tab-07", "site": "Kisumu-03"}
    assert settings.push.url == "https://prom.example/api/v1/write"
    assert settings.push.token.reveal() == "t0k" and "t0k" not in repr(settings.push)
    assert settings.push.interval == 30 and settings.push.buffer_max_age == timedelta(days=7)


def test_no_device_is_the_host_name_and_no_push():
    settings = agent()
    assert settings.identity is None and settings.push is None  # the series then carry the host name
    assert host_identity().as_labels() == {"device": socket.gethostname()}


def test_labels_without_a_device_take_the_host_name():
    settings = agent(labels={"site": "Kisumu-03"})
    assert settings.identity.as_labels() == {"device": socket.gethostname(), "site": "Kisumu-03"}


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"labels": {"backend": "x"}}, "taken by synctui"),
        ({"labels": {"1site": "x"}}, "label name"),
        ({"labels": {"site": "a\x1b[31m"}}, "printable"),
        ({"device": ""}, "device must be"),
        ({"push": {"url": "ftp://x"}}, "url must be http(s)"),
        ({"push": {"url": "https://u:p@prom/api/v1/write"}}, "must not hold a user"),
        ({"push": {"url": "https://p/w", "token": "t", "username": "u", "password": "p"}}, "not both"),
        ({"push": {"url": "https://p/w", "username": "u"}}, "needs both"),
        ({"push": {"url": "https://p/w", "buffer_max_mb": 0}}, "buffer_max_mb"),
        ({"push": {"url": "https://p/w", "surprise": 1}}, "unknown key"),
    ],
)
def test_bad_fleet_settings_get_one_line(keys, message):
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        agent(**keys)
    assert "\n" not in str(caught.value)
