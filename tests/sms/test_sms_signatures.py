"""Our Tencent Cloud and Aliyun clients, the providers' official SDKs and the fake
provider of the Odoo tests, on loopback.

The official SDKs' requests must pass the fake's signature checks (so the fake checks
what the providers check), and ours must pass them too (so ours are signed as the
providers expect). Tampered, replayed or stale requests must not.
"""

import importlib.util
import json
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


providers = _load("zm_sms_providers", "addons/zm_sms/tools/sms_providers.py")
fakes = _load("zm_sms_fake_providers", "addons/zm_sms/tests/fake_providers.py")

TC_ID, TC_KEY = "AKIDpytest", "tencent-key-from-pytest"
ALI_ID, ALI_KEY = "LTAIpytest", "aliyun-key-from-pytest"


@pytest.fixture
def fake():
    server = fakes.FakeSmsProviders(
        tencent_keys={TC_ID: TC_KEY}, aliyun_keys={ALI_ID: ALI_KEY}, hang_seconds=1.5
    ).start()
    yield server
    server.stop()


def _tencent(fake, key=TC_KEY, timeout=5):
    return providers.TencentSms(
        TC_ID, key, "1400000001", "ZM宽带", endpoint=fake.url, timeout=timeout
    )


def _aliyun(fake, key=ALI_KEY, timeout=5):
    return providers.AliyunSms(ALI_ID, key, "ZM宽带", endpoint=fake.url, timeout=timeout)


# -- the official SDKs against the fake ------------------------------------------------


def test_tencent_sdk_passes_the_fake(fake):
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import models, sms_client

    http = HttpProfile(endpoint=fake.url.split("//")[1], protocol="http")
    client = sms_client.SmsClient(
        credential.Credential(TC_ID, TC_KEY), "ap-guangzhou", ClientProfile(httpProfile=http)
    )
    request = models.SendSmsRequest()
    request.from_json_string(
        json.dumps(
            {
                "PhoneNumberSet": ["+8613912345678"],
                "SmsSdkAppId": "1400000001",
                "SignName": "ZM宽带",
                "TemplateId": "T1",
                "TemplateParamSet": ["账号1", "2027-01-01 00:00"],
                "SessionContext": "sdk-1",
            }
        )
    )
    answer = client.SendSms(request)
    assert answer.SendStatusSet[0].Code == "Ok"
    assert fake.refused == []
    assert fake.sent[0]["params"] == ["账号1", "2027-01-01 00:00"]
    # and a wrong key is refused by the fake, as by Tencent
    bad = sms_client.SmsClient(
        credential.Credential(TC_ID, "wrong"), "ap-guangzhou", ClientProfile(httpProfile=http)
    )
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
        TencentCloudSDKException,
    )

    with pytest.raises(TencentCloudSDKException) as error:
        bad.SendSms(request)
    assert error.value.code == "AuthFailure.SignatureFailure"


def test_aliyun_sdk_passes_the_fake(fake):
    from alibabacloud_dysmsapi20170525 import models
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import models as openapi_models

    def client(secret):
        config = openapi_models.Config(
            access_key_id=ALI_ID,
            access_key_secret=secret,
            endpoint=fake.url.split("//")[1],
            protocol="http",
        )
        return Client(config)

    request = models.SendSmsRequest(
        phone_numbers="13912345678",
        sign_name="ZM宽带",
        template_code="SMS_1",
        template_param=json.dumps({"account": "账号1"}, ensure_ascii=False),
        out_id="sdk-2",
    )
    answer = client(ALI_KEY).send_sms(request)
    assert answer.body.code == "OK", answer.body
    assert fake.refused == []
    assert fake.sent[0]["params"] == {"account": "账号1"}
    with pytest.raises(Exception) as error:
        client("wrong").send_sms(request)
    assert "SignatureDoesNotMatch" in str(error.value)


# -- our clients ---------------------------------------------------------------------


def test_our_tencent_client(fake):
    outcome = _tencent(fake).send("+8613912345678", "T1", ["账号1", "2027-01-01"], "ctx-1")
    assert (outcome.status, outcome.fee, fake.refused) == ("sent", 1, [])
    assert outcome.ref == fake.sent[0]["ref"]
    assert fake.sent[0]["params"] == ["账号1", "2027-01-01"]
    now = time.time()
    assert _tencent(fake).sent_in("+8613912345678", "ctx-1", now - 60, now + 60) == (
        True,
        outcome.ref,
    )
    # Tencent lists delivery reports only: not finding a message proves nothing
    assert _tencent(fake).sent_in("+8613912345678", "other", now - 60, now + 60)[0] is None


def test_our_aliyun_client(fake):
    outcome = _aliyun(fake).send("+8613912345678", "SMS_1", {"account": "账号 1&2=3"}, "ctx-2")
    assert (outcome.status, fake.refused) == ("sent", [])
    assert fake.sent[0]["phone"] == "13912345678"
    assert fake.sent[0]["params"] == {"account": "账号 1&2=3"}
    now = time.time()
    assert _aliyun(fake).sent_in("+8613912345678", "ctx-2", now - 60, now + 60)[0] is True
    assert _aliyun(fake).sent_in("+8613912345678", "nope", now - 60, now + 60)[0] is False


def test_wrong_keys_fail_for_good(fake):
    assert _tencent(fake, key="x").send("+8613912345678", "T1", [], "c").status == "failed"
    outcome = _aliyun(fake, key="x").send("+8613912345678", "S", {}, "c")
    assert (outcome.status, outcome.code) == ("failed", "SignatureDoesNotMatch")
    assert fake.sent == []


def test_replayed_and_stale_requests_are_refused(fake, monkeypatch):
    # an Aliyun nonce used twice
    monkeypatch.setattr(providers.uuid, "uuid4", lambda: type("U", (), {"hex": "fixed"})())
    client = _aliyun(fake)
    assert client.send("+8613912345678", "S", {}, "a").status == "sent"
    assert client.send("+8613912345678", "S", {}, "b").code == "SignatureNonceUsed"
    # a Tencent request signed 10 minutes ago
    payload = json.dumps({"PhoneNumberSet": ["+8613912345678"]}).encode()
    host = fake.url.split("//")[1]
    headers = providers.tc3_headers(
        TC_ID, TC_KEY, host, "SendSms", payload, int(time.time()) - 600, "ap-guangzhou"
    )
    answer = requests.post(fake.url + "/", data=payload, headers=headers, timeout=5).json()
    assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureExpire"
    assert len(fake.sent) == 1


def test_tampered_body_is_refused(fake, monkeypatch):
    client = _tencent(fake)
    original = client.session.post

    def tamper(url, data=b"", **kw):
        return original(url, data=data.replace(b"+8613912345678", b"+8613900000000"), **kw)

    monkeypatch.setattr(client.session, "post", tamper)
    assert client.send("+8613912345678", "T1", [], "c").code == "AuthFailure.SignatureFailure"
    assert fake.sent == []


# -- outcomes: what may be sent again --------------------------------------------------


@pytest.mark.parametrize("make", [_tencent, _aliyun])
def test_outcomes(fake, make):
    client = make(fake, timeout=1)
    fake.fail_next("throttle")
    assert client.send("+8613912345678", "T", ["x"] if make is _tencent else {}, "c").status == (
        "retry"
    )
    fake.fail_next("http500")
    assert client.send("+8613912345678", "T", [], "c").status == "uncertain"
    fake.fail_next("hang")
    outcome = client.send("+8613912345678", "T", [], "c")
    assert (outcome.status, outcome.code) == ("uncertain", "read_timeout")
    fake.fail_next("drop")
    assert client.send("+8613912345678", "T", [], "c").status == "uncertain"
    # hang and drop were taken by the provider: two messages, neither answered
    assert len(fake.sent) == 2
    down = make(fake)
    down.endpoint = "http://127.0.0.1:9"
    assert down.send("+8613912345678", "T", [], "c").status == "retry"


def test_status_lists_are_read_to_the_end(fake):
    """A busy number: our message on the third page of Aliyun's list; among the 100 of
    Tencent's one page (its offset is fixed at 0)."""
    tencent, aliyun = _tencent(fake), _aliyun(fake)
    for i in range(230):
        aliyun.send("+8613912345678", "S", {}, f"a{i}")
    for i in range(60):
        tencent.send("+8613912345678", "T", [], f"t{i}")
    now = time.time()
    assert tencent.sent_in("+8613912345678", "t59", now - 600, now + 60)[0] is True
    assert aliyun.sent_in("+8613912345678", "a229", now - 600, now + 60)[0] is True
    assert aliyun.sent_in("+8613912345678", "a999", now - 600, now + 60)[0] is False
    # messages not yet reported: Tencent cannot say, Aliyun still lists them
    fake.auto_report = False
    tencent.send("+8613900000001", "T", [], "late-t")
    aliyun.send("+8613900000001", "S", {}, "late-a")
    assert tencent.sent_in("+8613900000001", "late-t", now - 600, now + 60)[0] is None
    assert aliyun.sent_in("+8613900000001", "late-a", now - 600, now + 60)[0] is True


def test_tencent_internal_error_is_uncertain(fake):
    fake.fail_next("internal")
    outcome = _tencent(fake).send("+8613912345678", "T", [], "c")
    assert (outcome.status, outcome.code) == ("uncertain", "InternalError.Timeout")


def test_segments():
    assert providers.segments("短" * 70) == 1
    assert providers.segments("短" * 71) == 2
    assert providers.segments("短" * 134) == 2
    assert providers.segments("短" * 135) == 3
