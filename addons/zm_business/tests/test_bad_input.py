from freezegun import freeze_time
from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import ZmBusinessCommon


@tagged("post_install", "-at_install")
class TestBadInput(ZmBusinessCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls._make_account()

    @classmethod
    def _make_account(cls):
        account = cls.env["zm.subscriber"].create(
            {
                "name": "bad-input",
                "area_id": cls.area.id,
                "package_id": cls.monthly.id,
                "company_id": cls.company.id,
            }
        )
        with freeze_time("2026-06-01 00:00:00"):
            account.with_user(cls.operator).action_open(amount=60.0, journal_id=cls.cash.id)
        return account

    def _counts(self):
        return (
            self.env["zm.order"].search_count([]),
            self.env["account.move"].search_count([]),
            self.env["account.payment"].search_count([]),
        )

    def assertRefused(self, call, exception=UserError):
        """The call raises a clear error and writes nothing."""
        before = self._counts()
        expiry, state = self.account.expiry_at, self.account.state
        with self.assertRaises(exception) as caught:
            call()
        self.assertTrue(str(caught.exception))
        self.account.invalidate_recordset()
        self.assertEqual(self._counts(), before)
        self.assertEqual((self.account.expiry_at, self.account.state), (expiry, state))
        return caught.exception

    def test_amounts(self):
        """Zero, negative and non-numeric amounts are refused."""
        desk = self.account.with_user(self.operator)
        for amount in (0, 0.0, -5.0, 0.001):
            self.assertRefused(lambda a=amount: desk.action_topup(a, self.cash.id))
        self.assertRefused(lambda: desk.action_topup("ten", self.cash.id))
        self.assertRefused(lambda: desk.action_refund(-1.0, self.cash.id))
        self.assertRefused(lambda: desk.action_renew(0))
        self.assertRefused(lambda: desk.action_renew(-2))

    def test_refund_larger_than_paid(self):
        """A refund larger than the balance is refused."""
        desk = self.account.with_user(self.operator)
        self.assertEqual(self.account.balance, 12.0)
        error = self.assertRefused(lambda: desk.action_refund(12.01, self.cash.id))
        self.assertIn("holds only", str(error))
        desk.action_refund(12.0, self.cash.id)
        self.assertEqual(self.account.balance, 0.0)

    def test_insufficient_balance(self):
        """Renewing beyond the balance needs the credit right and a large enough limit."""
        desk = self.account.with_user(self.operator)
        self.assertRefused(lambda: desk.action_renew())
        self.account.action_set_credit(50.0)
        # the limit alone is not enough: the operator lacks the credit right
        self.assertRefused(lambda: desk.action_renew())
        self.operator.groups_id += self.env.ref("zm_broadband.group_right_credit")
        self.assertRefused(lambda: desk.action_renew(2))  # 96 > 12 + 50
        order = desk.action_renew()
        self.assertEqual(self.account.balance, -36.0)
        self.assertTrue(self.account.in_arrears)
        self.assertEqual(order.move_ids.payment_state, "partial")
        # money coming in settles the arrears first
        desk.action_topup(40.0, self.cash.id)
        self.assertFalse(self.account.in_arrears)
        self.assertEqual(order.move_ids.payment_state, "paid")
        self.assertEqual(self.account.balance, 4.0)

    def test_caught_error_leaves_nothing(self):
        """A caller catching the error itself (no savepoint of its own) finds nothing written."""
        before = self._counts()
        refused = None
        try:
            self.account.with_user(self.operator).action_renew()  # 48 due, 12 on balance
        except UserError as error:
            refused = error
        self.assertIsNotNone(refused, "the renewal should have been refused")
        self.assertEqual(self._counts(), before)

    def test_states(self):
        """Pausing twice, resuming an active account, renewing a cancelled one: refused."""
        desk = self.account.with_user(self.operator)
        self.assertRefused(lambda: desk.action_resume())
        desk.action_pause()
        self.assertRefused(lambda: desk.action_pause())
        self.assertRefused(lambda: desk.action_renew())
        desk.action_resume()
        desk.action_cancel()
        self.assertRefused(lambda: desk.action_renew())
        self.assertRefused(lambda: desk.action_pause())
        self.assertRefused(lambda: desk.action_cancel())
        self.assertRefused(lambda: desk.action_open())

    def test_journal_must_be_a_desk_journal(self):
        """Money moves through the broadband journals only, not any bank journal."""
        desk = self.account.with_user(self.operator)
        bank = self.company_data["default_journal_bank"]
        self.assertRefused(lambda: desk.action_topup(10.0, bank.id))
        desk.action_topup(10.0, "wechat")

    def test_other_company_package(self):
        """A package or a journal of another company is refused."""
        other = self.setup_other_company(name="Other ISP")["company"]
        package = self.env["zm.package"].create(
            {"name": "Foreign", "kind": "month", "price": 1.0, "company_id": other.id}
        )
        desk = self.account.with_user(self.operator)
        self.assertRefused(lambda: desk.action_change_package(package.id))
        self.assertRefused(lambda: desk.sudo().action_change_package(package.id))
        journal = other._zm_journal("cash")
        self.assertRefused(lambda: desk.action_topup(10.0, journal.id))

    def test_rights(self):
        """An operator without a business right cannot use it."""
        clerk = new_test_user(
            self.env,
            login="zm_desk_clerk",
            groups="zm_broadband.group_operator,zm_broadband.group_right_topup",
            company_id=self.company.id,
        )
        clerk.zm_area_ids = self.area
        desk = self.account.with_user(clerk)
        desk.action_topup(5.0, self.cash.id)
        for call in (desk.action_renew, desk.action_pause, desk.action_cancel):
            error = self.assertRefused(call)
            self.assertIn("right", str(error))

    def test_validation_error_from_area(self):
        """Moving to an area where the package is not sold is refused."""
        self.monthly.area_ids = self.area
        desk = self.account.with_user(self.operator)
        self.assertRefused(lambda: desk.action_move_area(self.area_south.id), ValidationError)
        self.monthly.area_ids = False
        desk.action_move_area(self.area_south.id)
        self.assertEqual(self.account.area_id, self.area_south)

    def test_ids_of_the_wrong_kind(self):
        """Ids of the wrong type, several accounts at once, missing arguments: clear errors."""
        desk = self.account.with_user(self.operator)
        self.assertRefused(lambda: desk.action_topup(10.0, "cash; DROP TABLE"))
        self.assertRefused(lambda: desk.action_topup(10.0, [self.cash.id]))
        self.assertRefused(lambda: desk.action_topup(10.0, 999999999))
        self.assertRefused(lambda: desk.action_change_package("x"))
        self.assertRefused(lambda: desk.action_change_package(10**12))
        self.assertRefused(lambda: desk.action_move_area({"id": 1}))
        self.assertRefused(lambda: desk.action_renew("3"))
        self.assertRefused(lambda: desk.action_renew(2.5))
        two = self.account | self.env["zm.subscriber"].create(
            {"name": "bad-input-2", "area_id": self.area.id, "company_id": self.company.id}
        )
        error = self.assertRefused(lambda: two.with_user(self.operator).action_renew())
        self.assertIn("exactly one account", str(error))
        self.assertRefused(
            lambda: self.env["zm.subscriber"].with_user(self.operator).action_renew()
        )
        # arguments left out get the same clear answers as wrong ones
        for call in (
            desk.action_topup,
            lambda: desk.action_topup(5.0),
            desk.action_refund,
            desk.action_change_package,
            desk.action_buy_package,
            desk.action_addon_package,
            desk.action_move_area,
            desk.action_set_credit,
        ):
            self.assertRefused(call)

    def test_far_future_and_huge_amounts(self):
        """A million periods, or amounts no ledger carries exactly, are refused plainly."""
        desk = self.account.with_user(self.operator)
        error = self.assertRefused(lambda: desk.action_renew(1_000_000))
        self.assertIn("1000", str(error))
        for amount in (1e15, 1e300, float("inf"), float("nan")):
            self.assertRefused(lambda a=amount: desk.action_topup(a, self.cash.id))
        self.assertRefused(lambda: desk.action_set_credit(1e15))

    def test_long_and_binary_text(self):
        """A 3,000-character name, a NUL or a control byte is refused with a clear message."""
        Subscriber = self.env["zm.subscriber"].with_user(self.operator)
        base = {"area_id": self.area.id, "company_id": self.company.id}
        for name in ("x" * 3000, "nul\x00name", "tab\tname", ""):
            with self.subTest(name=name[:10]), self.assertRaises(ValidationError):
                Subscriber.create({**base, "name": name})
        with self.assertRaises(ValidationError):
            Subscriber.create({**base, "name": "ok-name", "note": "x" * 5000})
        with self.assertRaises(ValidationError):
            Subscriber.create({**base, "name": "ok-name", "bind_mac": "not-a-mac"})
        with self.assertRaises(ValidationError):
            Subscriber.create({**base, "name": "ok-name", "fixed_ip": "300.1.1.1"})
        with self.assertRaises(ValidationError):
            Subscriber.create({**base, "name": "ok-name", "session_limit": 10**10})
        desk = self.account.with_user(self.operator)
        self.assertRefused(
            lambda: desk.action_topup(5.0, self.cash.id, reference="r" * 500), ValidationError
        )

    def test_same_reference_other_amount(self):
        """The same payment reference with another amount or method is refused, not answered
        with the first order."""
        desk = self.account.with_user(self.operator)
        first = desk.action_topup(10.0, self.alipay.id, reference="ALI-DIFF-1")
        self.assertEqual(desk.action_topup(10.0, self.alipay.id, reference="ALI-DIFF-1"), first)
        error = self.assertRefused(
            lambda: desk.action_topup(99.0, self.alipay.id, reference="ALI-DIFF-1")
        )
        self.assertIn(first.name, str(error))
        self.assertRefused(lambda: desk.action_topup(10.0, self.cash.id, reference="ALI-DIFF-1"))
