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
