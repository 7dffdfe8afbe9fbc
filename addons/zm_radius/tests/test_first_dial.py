from datetime import datetime
from unittest.mock import patch

import psycopg2.errors
from freezegun import freeze_time
from odoo.tests import tagged
from odoo.tools import SQL

from .common import S, ZmRadiusCommon, utc


@tagged("post_install", "-at_install")
class TestFirstDial(ZmRadiusCommon):
    """B10: the bridge's first-dial fact starts the package period in Odoo, exactly once,
    also after an unbind or a reset (B9)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first_dial_package = cls._package(
            "Starts at first dial", 40.0, start_at_first_dial=True
        )

    def _dial(self, account, at, mac=None, nas=None):
        """What the bridge writes when the account first logs in."""
        self.env.cr.execute(
            SQL(
                f"INSERT INTO {S}.first_dial (username, first_dial_at, mac, nas) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (username) DO UPDATE "
                "SET first_dial_at = EXCLUDED.first_dial_at, mac = EXCLUDED.mac, nas = EXCLUDED.nas",
                account.name.lower(),
                at.isoformat() + "+00:00",
                mac,
                nas,
            )
        )
        self.env.invalidate_all()

    def test_first_dial_starts_the_period_once(self):
        """A waiting account dials: its period starts then; later runs change nothing."""
        account = self._subscriber("dial-1", package_id=self.first_dial_package.id)
        with freeze_time("2026-06-01 02:00:00"):
            account.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
        self.assertEqual((account.state, account.expiry_at), ("waiting", False))
        self._dial(account, datetime(2026, 6, 3, 8, 0))
        with freeze_time("2026-06-03 08:01:00"):
            self.assertEqual(self.env["zm.subscriber"]._cron_first_dials(), 1)
        account.invalidate_recordset()
        self.assertEqual(account.state, "active")
        self.assertEqual(account.first_dial_at, utc(2026, 6, 3, 8, 0))
        self.assertEqual(account.expiry_at, utc(2026, 7, 3, 8, 0))
        self.assertEqual(
            self._row(account)["period_start"].isoformat(), "2026-06-03T08:00:00+00:00"
        )
        first = account.order_ids.filtered(lambda o: o.kind == "first_dial")
        self.assertEqual(len(first), 1)
        # the cron again, or a later fact for the same account: nothing more
        self._dial(account, datetime(2026, 6, 9, 8, 0))
        self.assertEqual(self.env["zm.subscriber"]._cron_first_dials(), 0)
        account.invalidate_recordset()
        self.assertEqual(account.expiry_at, utc(2026, 7, 3, 8, 0))

    def test_unbind_clears_first_dial_bindings(self):
        """The MAC and NAS bound at the first dial are forgotten by an unbind, with a feed
        row; the account may bind again at its next login."""
        account = self._subscriber("dial-2", package_id=self.monthly.id, auto_bind_mac=True)
        with freeze_time("2026-06-01 02:00:00"):
            account.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
        self._dial(account, datetime(2026, 6, 1, 3, 0), mac="aabbccddeeff", nas="192.0.2.10")
        self.assertEqual(self._row(account)["bind_mac"], "aabbccddeeff")
        self.assertEqual(account.dial_mac, "aabbccddeeff")
        self.env.cr.execute(f"DELETE FROM {S}.account_change")
        account.with_user(self.operator).action_unbind()
        row = self._row(account)
        self.assertEqual((row["bind_mac"], row["bind_nas"]), (None, None))
        self.assertIn(("dial-2",), self._feed())
        self.assertFalse(account.dial_mac)

    def test_first_dial_fact_belongs_to_the_account(self):
        """A renamed account takes its first-dial fact (time, bound MAC) along; an account
        later given its old name starts clean; a deleted account leaves nothing behind."""
        old = self._subscriber("dial-old", package_id=self.monthly.id, auto_bind_mac=True)
        with freeze_time("2026-06-01 02:00:00"):
            old.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
        self._dial(old, datetime(2026, 6, 1, 3, 0), mac="aabbccddeeff", nas="192.0.2.10")
        old.with_user(self.operator).write({"name": "dial-renamed"})
        self.assertEqual(self._row(old)["bind_mac"], "aabbccddeeff")
        new = self._subscriber("dial-old", package_id=self.first_dial_package.id)
        row = self._row(new)
        self.assertEqual((row["bind_mac"], row["first_dial_at"]), (None, None))
        with freeze_time("2026-06-02 02:00:00"):
            new.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
        self.assertEqual(self.env["zm.subscriber"]._cron_first_dials(), 0)
        self.assertEqual(new.state, "waiting")
        # deleting an account (never opened) removes its fact
        gone = self._subscriber("dial-gone")
        self._dial(gone, datetime(2026, 6, 1, 3, 0), mac="112233445566")
        gone.unlink()
        self.assertFalse(
            self.env.execute_query(
                SQL(f"SELECT 1 FROM {S}.first_dial WHERE username = %s", "dial-gone")
            )
        )

    def test_rejected_opening_waits_for_a_new_first_dial(self):
        """Open, dial, the opening rejected, opened again later: the old dial does not
        start the new period; the next one does."""
        account = self._subscriber("dial-again", package_id=self.first_dial_package.id)
        with freeze_time("2026-06-01 02:00:00"):
            opening = account.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
        self._dial(account, datetime(2026, 6, 1, 3, 0))
        opening.with_user(self.finance).action_reject("wrong account")
        with freeze_time("2026-07-01 02:00:00"):
            account.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
            self.assertEqual(self.env["zm.subscriber"]._cron_first_dials(), 0)
        account.invalidate_recordset()
        self.assertEqual((account.state, account.expiry_at), ("waiting", False))
        self._dial(account, datetime(2026, 7, 2, 9, 0))
        with freeze_time("2026-07-02 09:01:00"):
            self.assertEqual(self.env["zm.subscriber"]._cron_first_dials(), 1)
        account.invalidate_recordset()
        self.assertEqual(account.expiry_at, utc(2026, 8, 2, 9, 0))

    def test_a_run_that_loses_the_race_logs_no_error(self):
        """Two first-dial runs at once: the one whose account another run just started
        gets a serialization failure; it leaves the account to the next run, quietly (no
        ERROR traceback in the server log), and the other accounts still start."""
        lost = self._subscriber("dial-race-1", package_id=self.first_dial_package.id)
        won = self._subscriber("dial-race-2", package_id=self.first_dial_package.id)
        with freeze_time("2026-06-01 02:00:00"):
            for account in (lost, won):
                account.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
        for account in (lost, won):
            self._dial(account, datetime(2026, 6, 3, 8, 0))
        Subscriber = type(self.env["zm.subscriber"])
        start = Subscriber._zm_start_service

        def racing(records, first_dial_at):
            if records.name == "dial-race-1":
                raise psycopg2.errors.SerializationFailure("concurrent update")
            return start(records, first_dial_at)

        logger = "odoo.addons.zm_radius.models.zm_subscriber"
        with (
            patch.object(Subscriber, "_zm_start_service", racing),
            freeze_time("2026-06-03 08:01:00"),
            self.assertNoLogs(logger, "ERROR"),
        ):
            self.assertEqual(self.env["zm.subscriber"]._cron_first_dials(), 2)
        (lost | won).invalidate_recordset()
        self.assertEqual((lost.state, won.state), ("waiting", "active"))
        with freeze_time("2026-06-03 08:06:00"):
            self.env["zm.subscriber"]._cron_first_dials()
        lost.invalidate_recordset()
        self.assertEqual(lost.state, "active")
