from odoo.exceptions import ValidationError
from odoo.tests import Form
from odoo.tools import mute_logger
from psycopg2.errors import UniqueViolation

from .common import ZmBroadbandCase


class TestSubscriber(ZmBroadbandCase):
    def test_unique_ignoring_case(self):
        """A second account whose name differs only in case is refused."""
        self._subscriber("Room101")
        with self.assertRaises(ValidationError) as caught:
            self._subscriber("room101")
        self.assertIn("Room101", str(caught.exception))
        other = self._subscriber("room102")
        with self.assertRaises(ValidationError):
            other.name = "ROOM101"

    def test_database_index_enforces_case_insensitive_uniqueness(self):
        """The unique index on lower(name) holds even when the ORM is bypassed."""
        subscriber = self._subscriber("Lobby")
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation), self.cr.savepoint():
            self.cr.execute(
                "INSERT INTO zm_subscriber (name, area_id, company_id, property, state,"
                " session_limit) VALUES ('lobby', %s, %s, 'normal', 'active', 1)",
                [subscriber.area_id.id, subscriber.company_id.id],
            )

    def test_fixed_ip_is_one_accounts_unicast_ipv4(self):
        """A fixed address is a unicast IPv4 host address, and only one account's."""
        first = self._subscriber("fixed-1")
        for bad in ("2001:db8::1", "255.255.255.255", "255.255.255.254", "0.0.0.0",
                    "127.0.0.1", "224.0.0.1", "169.254.1.1", "10.0.0.300"):  # fmt: skip
            with self.assertRaises(ValidationError, msg=bad):
                first.fixed_ip = bad
        first.fixed_ip = " 10.9.9.9 "
        self.assertEqual(first.fixed_ip, "10.9.9.9")
        first.fixed_ip = "10.9.9.9"  # its own address again: fine
        second = self._subscriber("fixed-2")
        with self.assertRaises(ValidationError):
            second.fixed_ip = "10.9.9.9"
        with self.assertRaises(ValidationError):
            self._subscriber("fixed-3", fixed_ip="10.9.9.9")
        # the database holds it too, whatever path writes
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation), self.cr.savepoint():
            self.cr.execute("UPDATE zm_subscriber SET fixed_ip = '10.9.9.9' WHERE id = %s",
                            [second.id])  # fmt: skip

    def test_name_lower_cased_alike_everywhere(self):
        """Names that Python and PostgreSQL lower differently are refused: the bridge could
        never find them. Chinese and plain Latin names are fine."""
        for bad in ("ΟΔΟΣ1", "İZMİR1"):
            with self.assertRaises(ValidationError, msg=bad):
                self._subscriber(bad)
        for good in ("张三-0812", "Zhang.San", "ＵＳＥＲ７７"):
            self.assertTrue(self._subscriber(good))
        self.assertTrue(self.env["zm.subscriber"].search([("name", "=", "USER77")]))

    def test_name_is_trimmed(self):
        """Spaces around an account name are dropped, so they cannot sneak past uniqueness."""
        subscriber = self._subscriber("  guest7 ")
        self.assertEqual(subscriber.name, "guest7")
        with self.assertRaises(ValidationError):
            self._subscriber("GUEST7  ")

    def test_session_limit_from_package(self):
        """A new account takes the package's session limit unless one is given."""
        self.package.session_limit = 3
        self.assertEqual(self._subscriber("family").session_limit, 3)
        self.assertEqual(self._subscriber("single", session_limit=1).session_limit, 1)

    def test_new_account_is_not_opened(self):
        """An account made by an operator is not opened and not in good standing, whatever
        its package: only the desk's open action gives it a period (DESIGN §3)."""
        self.package.start_at_first_dial = True
        subscriber = (
            self.env["zm.subscriber"]
            .with_user(self.operator)
            .create({"name": "first-dial", "area_id": self.area_east_1.id})
        )
        self.assertEqual((subscriber.state, subscriber.expiry_state), ("draft", "draft"))
        self.assertFalse(subscriber.expiry_at)
        self.assertFalse(subscriber.opened_at)

    def test_form_as_operator(self):
        """An operator opens an account through the form: package fills the session limit,
        the typed password is stored and the account gets its billing partner."""
        self.package.session_limit = 2
        with Form(self.env["zm.subscriber"].with_user(self.operator)) as form:
            form.name = "form-made"
            form.area_id = self.area_east_1
            form.package_id = self.package
            self.assertEqual(form.session_limit, 2)
            self.assertEqual(form.expiry_state, "draft")
            form.new_password = "s3cret"
        subscriber = form.record
        self.assertEqual(subscriber.sudo().password, "s3cret")
        self.assertTrue(subscriber.partner_id)
