from datetime import timedelta

from odoo import fields
from odoo.addons.zm_business.tests.common import ALL_RIGHTS, ZmBusinessCommon  # noqa: F401

from .fake_providers import FakeSmsProviders

TENCENT_ID, TENCENT_KEY = "AKIDzmtest0001", "tencent-secret-made-up-by-the-test"
ALIYUN_ID, ALIYUN_KEY = "LTAIzmtest0001", "aliyun-secret-made-up-by-the-test"
#: an answer the client stops waiting for after 1 s; the fake "hangs" 2 s
CLIENT_TIMEOUT = 1


class ZmSmsCommon(ZmBusinessCommon):
    """The business desk's company with a Tencent Cloud account (and its templates) on a
    fake provider at the HTTP boundary, and an Aliyun account kept inactive."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeSmsProviders(
            tencent_keys={TENCENT_ID: TENCENT_KEY},
            aliyun_keys={ALIYUN_ID: ALIYUN_KEY},
            hang_seconds=CLIENT_TIMEOUT + 1,
        ).start()
        cls.addClassCleanup(cls.fake.stop)
        # no quiet hours unless a test sets them
        cls.company.write({"zm_sms_quiet_start": 0.0, "zm_sms_quiet_end": 0.0})
        cls.tencent = cls._provider("tencent", TENCENT_ID, TENCENT_KEY, app_id="1400000001")
        cls.aliyun = cls._provider("aliyun", ALIYUN_ID, ALIYUN_KEY, active=False, sequence=20)
        cls.customer.phone = "13800000000"

    @classmethod
    def _provider(cls, kind, key_id, secret, **vals):
        params = {
            "opened": ("OPEN01", "account,expiry", "Account {account} is open until {expiry}."),
            "expiring": ("EXP01", "account,days,expiry", "{account} expires in {days} days: {expiry}."),
            "expired": ("GONE01", "account", "Account {account} has expired."),
            "renewed": ("RNW01", "account,package,expiry", "{account} renewed: {package} until {expiry}."),
            "verification": ("CODE01", "code", "Your code is {code}."),
        }  # fmt: skip
        return cls.env["zm.sms.provider"].create(
            {
                "name": f"{kind} test",
                "kind": kind,
                "key_id": key_id,
                "secret_key": secret,
                "sign_name": "ZM宽带",
                "endpoint": cls.fake.url,
                "timeout": CLIENT_TIMEOUT,
                "unit_price": 0.05,
                "company_id": cls.company.id,
                "template_ids": [
                    (
                        0,
                        0,
                        {
                            "name": purpose,
                            "purpose": purpose,
                            "template_code": code,
                            "params": names,
                            "text": text,
                        },
                    )
                    for purpose, (code, names, text) in params.items()
                ],  # fmt: skip
                **vals,
            }
        )

    def setUp(self):
        super().setUp()
        self.fake.reset()

    def _opened(self, name, phone="13912345678", area=None, **vals):
        """An account opened at the desk by the operator, with a month paid in cash."""
        account = self._subscriber(
            name, phone=phone, package_id=self.monthly.id, area_id=(area or self.area).id, **vals
        )
        account.with_user(self.operator).action_open(amount=48.0, journal_id=self.cash.id)
        return account

    def _send(self):
        return self.env["zm.sms.message"]._cron_send(commit=False)

    def _log(self, account, purpose=None):
        domain = [("subscriber_id", "=", account.id)]
        if purpose:
            domain.append(("purpose", "=", purpose))
        return self.env["zm.sms.message"].search(domain)

    def _age(self, messages, minutes):
        """Move the messages' clocks back, as if ``minutes`` had passed."""
        past = timedelta(minutes=minutes)
        for message in messages.sudo():
            vals = {}
            for fname in ("next_try_at", "last_try_at"):
                if message[fname]:
                    vals[fname] = message[fname] - past
            if vals:
                message.write(vals)
        messages.env.flush_all()

    @staticmethod
    def now():
        return fields.Datetime.now()
