"""Rotating SECRET_KEY without signing everyone out: the production settings read the old
keys from MINZHENG_SECRET_KEY_FALLBACKS, and Django still accepts what they signed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.core import signing

OLD, NEW = "old-key-" + "o" * 50, "new-key-" + "n" * 50


def test_production_settings_read_the_fallbacks_from_the_environment():
    env = {**os.environ, "SECRET_KEY": NEW, "MINZHENG_SECRET_KEY_FALLBACKS": f"{OLD}, older ,"}
    code = (
        "import json, minzheng.settings_production as s;"
        "print(json.dumps([s.SECRET_KEY, s.SECRET_KEY_FALLBACKS]))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert json.loads(out.stdout.splitlines()[-1]) == [NEW, [OLD, "older"]]
    env.pop("MINZHENG_SECRET_KEY_FALLBACKS")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert json.loads(out.stdout.splitlines()[-1]) == [NEW, []]


def test_a_signature_made_with_the_old_key_still_validates(settings):
    settings.SECRET_KEY = OLD
    token = signing.dumps({"user": 7}, salt="reset")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]
    assert signing.loads(token, salt="reset") == {"user": 7}
    settings.SECRET_KEY_FALLBACKS = []
    try:
        signing.loads(token, salt="reset")
    except signing.BadSignature:
        pass
    else:
        raise AssertionError("the old signature validated without a fallback")


def test_a_session_signed_in_with_the_old_key_survives_rotation(client, world, settings):
    from django.test import Client

    from tests.world import login

    settings.SECRET_KEY = OLD
    other = Client()
    for c in (client, other):
        login(c, world.users["town1"])
        assert c.get("/jobs/").status_code == 200
    # rotate with the old key as a fallback: still signed in, and the session is re-signed
    # with the new key on the way (so dropping the fallback later does not sign it out)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]
    assert client.get("/jobs/").status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert client.get("/jobs/").status_code == 200
    # a session not seen during the overlap is signed out once the fallback is gone
    assert other.get("/jobs/").status_code == 302
