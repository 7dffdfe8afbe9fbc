from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from zm_rules import contract

from .common import S, ZmRadiusCommon


@tagged("post_install", "-at_install")
class TestRadiusIsolation(ZmRadiusCommon):
    """An operator of area A sees the sessions, records, login log and NAS of area A only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env,
            login="zm_rad_clerk",
            groups="zm_broadband.group_operator,base.group_allow_export",
            company_id=cls.company.id,
        )
        cls.clerk.zm_area_ids = [Command.set(cls.area.ids)]
        cls.mine = cls._subscriber_for("iso-rad-a", cls.area)
        cls.theirs = cls._subscriber_for("iso-rad-b", cls.area_south)
        cls.nas_south = cls.env["zm.nas"].create(
            {
                "name": "South NAS",
                "ip": "192.0.2.20",
                "secret": "x",
                "area_id": cls.area_south.id,
                "company_id": cls.company.id,
            }
        )
        for account, nas in ((cls.mine, cls.nas), (cls.theirs, cls.nas_south)):
            name = account.name.lower()
            cls.env.cr.execute(
                SQL(
                    f"INSERT INTO {S}.session (nas_id, acct_session_id, username, started_at, "
                    "updated_at, last_seen_at, interim_interval, input_bytes, output_bytes, "
                    "account_id) VALUES (%s, %s, %s, now(), now(), now(), 300, 1000, 2000, %s)",
                    nas.id, f"s-{name}", name, account.id,
                )
            )  # fmt: skip
            cls.env.cr.execute(
                SQL(
                    f"INSERT INTO {S}.session_history (nas_id, acct_session_id, username, "
                    "started_at, updated_at, last_seen_at, interim_interval, stopped_at, "
                    "closed_by, account_id) VALUES (%s, %s, %s, now() - interval '1 hour', "
                    "now(), now(), 300, now(), 'stop', %s)",
                    nas.id, f"h-{name}", name, account.id,
                )
            )  # fmt: skip
            cls.env.cr.execute(
                SQL(
                    f"INSERT INTO {S}.auth_log (at, username, nas_id, method, result, reason, "
                    "account_id) VALUES (now(), %s, %s, 'pap', 'reject', 'bad password', %s)",
                    name, nas.id, account.id,
                )
            )  # fmt: skip

    @classmethod
    def _subscriber_for(cls, name, area):
        return cls.env["zm.subscriber"].create(
            {"name": name, "area_id": area.id, "company_id": cls.company.id}
        )

    def test_operator_sees_own_area_only(self):
        """Search, read, group and export: the other area's rows are never there."""
        for model in ("zm.session", "zm.session.history", "zm.auth.log"):
            Model = self.env[model].with_user(self.clerk)
            rows = Model.search([("username", "like", "iso-rad-")])
            self.assertEqual(rows.mapped("username"), ["iso-rad-a"], model)
            groups = Model.read_group([("username", "like", "iso-rad-")], ["area_id"], ["area_id"])
            self.assertEqual([g["area_id"][0] for g in groups], [self.area.id], model)
            theirs = self.env[model].search([("username", "=", "iso-rad-b")])
            with self.assertRaises(AccessError):
                theirs.with_user(self.clerk).read(["username"])
        nas = self.env["zm.nas"].with_user(self.clerk).search([])
        self.assertIn(self.nas, nas)
        self.assertNotIn(self.nas_south, nas)

    def test_online_and_counts(self):
        """The account shows its online sessions; managers see every area."""
        self.assertEqual(self.mine.online_count, 1)
        sessions = self.env["zm.session"].search([("username", "like", "iso-rad-")])
        self.assertEqual(len(sessions), 2)
        self.assertEqual(sessions.filtered(lambda s: s.username == "iso-rad-a").input_bytes, 1000)

    def test_lists_survive_a_deleted_nas(self):
        """Sessions, records and the login log of a deleted NAS stay readable, for the
        operator and the manager alike (the NAS column is simply empty)."""
        self.nas_south.unlink()
        for model in ("zm.session", "zm.session.history", "zm.auth.log"):
            for env_user in (self.env.user, self.clerk):
                Model = self.env[model].with_user(env_user)
                rows = Model.search_read([("username", "like", "iso-rad-")], ["nas_id"])
                self.assertTrue(rows, model)
                Model.read_group([], ["nas_id"], ["nas_id"])
            theirs = self.env[model].search([("username", "=", "iso-rad-b")])
            self.assertFalse(theirs.nas_id, model)

    def test_export_and_session_time_zone(self):
        """The bridge's instants export as naive UTC, and a filter finds the same rows
        whatever time zone the database session runs in."""
        for model, column in (
            ("zm.session", "started_at"),
            ("zm.session.history", "stopped_at"),
            ("zm.auth.log", "at"),
        ):
            Model = self.env[model].with_user(self.clerk)
            mine = Model.search([("username", "=", "iso-rad-a")])
            exported = mine.export_data(["username", column])["datas"]
            self.assertEqual(exported[0][0], "iso-rad-a", model)
            instant = mine[column]
            self.assertIsNone(instant.tzinfo, model)
            for zone in ("UTC", "Asia/Shanghai", "America/Los_Angeles"):
                self.env.cr.execute(SQL("SET LOCAL TimeZone = %s", zone))
                self.env.invalidate_all()
                found = Model.search(
                    [("username", "=", "iso-rad-a"), (column, ">=", instant),
                     (column, "<=", instant)]
                )  # fmt: skip
                self.assertEqual(found, mine, (model, zone))
                self.assertEqual(found[column], instant, (model, zone))
            self.env.cr.execute("SET LOCAL TimeZone = 'UTC'")

    def test_group_by_day_in_the_users_time_zone(self):
        """A session that ended at 20:00 UTC on 7 December ended on 8 December in
        Shanghai: grouped by day for a Shanghai user, it is there."""
        self.env.cr.execute(
            SQL(
                f"INSERT INTO {S}.session_history (nas_id, acct_session_id, username, "
                "started_at, updated_at, last_seen_at, interim_interval, stopped_at, "
                "closed_by, account_id) VALUES (%s, 'tz-1', 'iso-rad-a', %s, %s, %s, 300, %s, "
                "'stop', %s)",
                self.nas.id, *["2026-12-07 19:00:00+00"] * 3, "2026-12-07 20:00:00+00",
                self.mine.id,
            )
        )  # fmt: skip
        History = self.env["zm.session.history"].with_user(self.clerk)
        for zone, day in (("Asia/Shanghai", "08 Dec 2026"), ("UTC", "07 Dec 2026"),
                          ("America/Los_Angeles", "07 Dec 2026")):  # fmt: skip
            groups = History.with_context(tz=zone).read_group(
                [("acct_session_id", "=", "tz-1")], ["stopped_at"], ["stopped_at:day"]
            )
            self.assertEqual([g["stopped_at:day"] for g in groups], [day], zone)

    def test_records_stay_with_the_account_that_made_them(self):
        """A renamed account keeps its sessions, records and login log; the new account that
        takes the old name (in another area) shows none of them, to its area's operator or
        anyone else — the rows name their account by id, not by name."""
        self.mine.write({"name": "iso-rad-a-old"})
        newcomer = self._subscriber_for("iso-rad-a", self.area_south)
        south_clerk = new_test_user(
            self.env, login="zm_rad_clerk_south", groups="zm_broadband.group_operator",
            company_id=self.company.id,
        )  # fmt: skip
        south_clerk.zm_area_ids = [Command.set(self.area_south.ids)]
        for model in ("zm.session", "zm.session.history", "zm.auth.log"):
            rows = self.env[model].search([("username", "=", "iso-rad-a")])
            self.assertEqual(rows.subscriber_id, self.mine, model)
            self.assertEqual(rows.with_user(self.clerk).read(["area_id"])[0]["area_id"][0],
                             self.area.id, model)  # fmt: skip
            self.assertFalse(
                self.env[model].with_user(south_clerk).search([("username", "=", "iso-rad-a")]),
                model,
            )
            self.assertFalse(self.env[model].search([("subscriber_id", "=", newcomer.id)]), model)
        self.assertEqual(self.mine.online_count, 1)
        self.assertEqual(newcomer.online_count, 0)

    def _log(self, name, **extra):
        """A login-log row as a bridge writes it (``account_id`` only if given)."""
        columns = ["at", "username", "nas_id", "method", "result", "reason", *extra]
        self.env.cr.execute(
            SQL(
                f"INSERT INTO {S}.auth_log ({', '.join(columns)}) VALUES (now(), %s, %s, "
                f"'pap', 'reject', 'bad password'{', %s' * len(extra)}) RETURNING id",
                name, self.nas.id, *extra.values(),
            )
        )  # fmt: skip
        return self.env.cr.fetchone()[0]

    def _owners(self, ids):
        self.env.cr.execute(
            SQL(f"SELECT id, account_id FROM {S}.auth_log WHERE id = ANY(%s)", list(ids))
        )
        return dict(self.env.cr.fetchall())

    def test_rows_from_before_contract_4_are_attributed_by_name_once(self):
        """Rows an older bridge wrote (no account id) are put under the account that has
        their name, in batches by the housekeeping cron, after the update from contract 3
        — planned by that update only: a later update, or a lost plan, plans nothing."""
        Schema = self.env["zm.radius.schema"]
        Param = self.env["ir.config_parameter"].sudo()
        triggers = f"ALTER TABLE {S}.auth_log %s TRIGGER zm_radius_account_id"
        self.env.cr.execute(triggers % "DISABLE")  # as before the update: no trigger yet
        before = [self._log("iso-rad-a") for _ in range(3)] + [self._log("iso-rad-none")]
        self.env.cr.execute(triggers % "ENABLE")
        self.env.cr.execute(f"DELETE FROM {S}.contract_version")
        self.env.cr.execute(f"INSERT INTO {S}.contract_version (version) VALUES (3)")
        Schema._zm_create_tables()  # as -u zm_radius does, from contract 3
        self.assertEqual(Param.get_param("zm_radius.name_attribution.auth_log"),
                         f"0:{before[-1]}")  # fmt: skip
        while Schema._zm_attribute_by_name(batch=1):  # one row per batch: several runs
            pass
        owners = self._owners(before)
        self.assertEqual([owners[i] for i in before], [self.mine.id] * 3 + [None])
        # no second plan: neither a later update nor a deleted parameter brings one
        Param.set_param("zm_radius.name_attribution.auth_log", False)
        Schema._zm_create_tables()
        self.assertFalse(Param.get_param("zm_radius.name_attribution.auth_log"))
        # a plan past the rows there are ends at the last row
        Param.set_param("zm_radius.name_attribution.auth_log", "0:999999999999")
        Schema._cron_housekeeping()
        self.assertEqual(Schema._zm_attribute_by_name(batch=50_000), 0)

    def test_rows_written_without_account_id_get_it_as_written(self):
        """A row an older bridge writes after the update (no account id) gets its account's
        id as it is written; a name no account has makes it nobody's, and it stays so when
        an account takes that name afterwards."""
        known, ghost = self._log("iso-rad-a"), self._log("iso-rad-later")
        given = self._log("iso-rad-a", account_id=self.theirs.id)  # a bridge's id is kept
        late = self._subscriber_for("iso-rad-later", self.area)
        self.env["zm.radius.schema"]._cron_housekeeping()
        self.assertEqual(
            self._owners([known, ghost, given]),
            {known: self.mine.id, ghost: contract.NOBODY, given: self.theirs.id},
        )
        self.assertFalse(self.env["zm.auth.log"].search([("subscriber_id", "=", late.id)]))
