import importlib.util
import os

import psycopg2
from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import SQL, mute_logger

from zm_rules import contract

from .. import uninstall_hook
from .common import S, ZmRadiusCommon

#: information_schema's names of the contract's SQL types
TYPE_NAMES = {
    "bigint": "bigint",
    "text": "text",
    "integer": "integer",
    "timestamptz": "timestamp with time zone",
    "boolean": "boolean",
    "jsonb": "jsonb",
    "inet": "inet",
}


@tagged("post_install", "-at_install")
class TestContract(ZmRadiusCommon):
    """Odoo serves the RADIUS contract (DESIGN §6): its views, feed and index."""

    def _columns(self, relation):
        return self.env.execute_query(
            SQL(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                S,
                relation,
            )
        )

    def test_views_have_exactly_the_contract_columns(self):
        """``account`` and ``nas`` have the contract's columns, in its types."""
        for relation in (contract.ACCOUNT, contract.NAS):
            found = dict(self._columns(relation.name))
            expected = {c.name: TYPE_NAMES[c.sql_type.split()[0]] for c in relation.columns}
            self.assertEqual(found, expected, relation.name)
        version = self.env.execute_query(SQL(f"SELECT max(version) FROM {S}.contract_version"))
        self.assertEqual(version[0][0], contract.CONTRACT_VERSION)

    def test_account_row(self):
        """An opened account's row: state, expiry, rates, pools and period as Odoo has them."""
        account = self._subscriber("rad-row", package_id=self.monthly.id)
        with freeze_time("2026-06-01 02:00:00"):
            account.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
        row = self._row(account)
        self.assertEqual(row["state"], "active")
        self.assertEqual(row["expiry_at"].isoformat(), "2026-07-01T02:00:00+00:00")
        self.assertEqual(row["period_start"].isoformat(), "2026-06-01T02:00:00+00:00")
        self.assertEqual((row["rate_up_kbps"], row["rate_down_kbps"]), (10240, 51200))
        self.assertEqual((row["pool_normal"], row["pool_expired"]), ("t-normal", "t-expired"))
        self.assertFalse(row["in_arrears"])
        self.assertEqual(row["time_zone"], "Asia/Shanghai")
        self.assertEqual(row["password_clear"], account.sudo().password or None)
        # a never-opened account is there too, as "draft": the bridge rejects it
        self.assertEqual(self._row(self._subscriber("rad-draft"))["state"], "draft")

    def test_on_credit_within_the_limit_is_served(self):
        """An account running on the credit its operator allowed keeps its normal answer;
        owing more than that limit (or any unpaid invoice without one) restricts it."""
        account = self._on_credit("rad-credit")
        desk, manager = account.with_user(self.operator), self.manager
        self.assertTrue(account.in_arrears)  # Odoo still shows the unpaid invoice
        self.assertFalse(self._row(account)["in_arrears"])
        self.env.cr.execute(f"DELETE FROM {S}.account_change")
        with freeze_time("2026-06-02 02:00:00"):
            account.with_user(manager).action_set_credit(30.0)  # owes more than it may
        self.assertTrue(self._row(account)["in_arrears"])
        self.assertIn(("rad-credit",), self._feed())
        with freeze_time("2026-06-02 03:00:00"):
            desk.action_topup(amount=20.0, journal_id="cash")  # owes 28: within 30 again
        self.assertFalse(self._row(account)["in_arrears"])
        self.assertTrue(account.in_arrears)

    def test_feed_on_ledger_changes(self):
        """The arrears flag reads the ledger: a change of the billing partner's receivable
        items that is no desk action on the account (here finance rejecting a top-up) still
        writes the account's feed row, in the same transaction."""
        account = self._on_credit("rad-ledger")
        with freeze_time("2026-06-01 03:00:00"):
            topup = account.with_user(self.operator).action_topup(20.0, "cash")  # owes 28
            account.with_user(self.manager).action_set_credit(30.0)
        self.assertFalse(self._row(account)["in_arrears"])
        self.env.cr.execute(f"DELETE FROM {S}.account_change")
        topup.with_user(self.finance).action_reject("cash counted twice")  # owes 48 again
        self.assertTrue(self._row(account)["in_arrears"])
        self.assertIn(("rad-ledger",), self._feed())
        # the ledger of a partner that is no account's billing partner writes nothing
        self.env.cr.execute(f"DELETE FROM {S}.account_change")
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [(0, 0, {"name": "router", "price_unit": 99.0})],
            }
        )
        invoice.action_post()
        self.assertEqual(self._feed(), [])

    def test_lookup_by_name_is_an_index_scan(self):
        """The bridge looks accounts up by lower-cased name: the unique index answers."""
        self.env.flush_all()
        plan = self.env.execute_query(
            SQL(f"EXPLAIN SELECT * FROM {S}.account WHERE username = 'someone'")
        )
        text = "\n".join(row[0] for row in plan)
        self.assertIn("zm_subscriber_name_lower_uniq", text)
        self.assertNotIn("Seq Scan on zm_subscriber", text)

    def test_feed_on_every_path(self):
        """A feed row in the same transaction for each change of an account's answer."""
        account = self._subscriber("rad-feed", package_id=self.monthly.id)
        self.assertIn(("rad-feed",), self._feed())
        self.env.cr.execute(f"DELETE FROM {S}.account_change")
        # the desk (money may change the arrears), a form edit, a password
        with freeze_time("2026-06-01 02:00:00"):
            account.with_user(self.operator).action_open(amount=48.0, journal_id="cash")
            # once per transaction, however many updates and ledger lines the action made
            self.assertEqual(self._feed(), [("rad-feed",)])
            account.with_user(self.manager).action_set_credit(100.0)
            account.with_user(self.manager).action_renew()
            self.assertEqual(self._feed(), [("rad-feed",)])
            self.company.write({"zm_tz": "Asia/Harbin"})
            self.rate.write({"down_kbps": 50000})
            self.assertEqual(sorted(self._feed(), key=str), [("rad-feed",), (None,)])
        self.env.cr.execute(f"DELETE FROM {S}.account_change")
        for vals in (
            {"bind_mac": "aa:bb:cc:dd:ee:ff"},
            {"session_limit": 3},
            {"new_password": "x1"},
        ):
            self.env.cr.execute(f"DELETE FROM {S}.account_change")
            account.with_user(self.operator).write(vals)
            self.assertEqual(self._feed(), [("rad-feed",)], vals)
        # a renamed account: both names
        self.env.cr.execute(f"DELETE FROM {S}.account_change")
        account.with_user(self.operator).write({"name": "rad-feed-2"})
        self.assertEqual(sorted(self._feed()), [("rad-feed",), ("rad-feed-2",)])
        # edits of no consequence write nothing
        self.env.cr.execute(f"DELETE FROM {S}.account_change")
        account.with_user(self.operator).write({"note": "n", "phone": "1"})
        self.assertEqual(self._feed(), [])
        # catalogue changes that touch many accounts: "everything"
        for record, vals in (
            (self.rate, {"down_kbps": 60000}),
            (self.monthly, {"rate_template_id": False}),
            (self.pool_normal, {"name": "t-normal-2"}),
            (self.company, {"zm_tz": "Asia/Urumqi"}),
        ):
            self.env.cr.execute(f"DELETE FROM {S}.account_change")
            record.write(vals)
            self.assertEqual(self._feed(), [(None,)], record._name)

    def test_grants_to_the_bridge_role(self):
        """The bridge's role gets the contract's grants, and no more."""
        role = "zm_bridge_grant_test"
        self.env.cr.execute(f'CREATE ROLE "{role}" NOLOGIN')
        # as Odoo makes its databases: anyone may create in public (CVE-2018-1058's door)
        self.env.cr.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")
        self.env["ir.config_parameter"].sudo().set_param("zm_radius.bridge_role", role)
        self.env["zm.radius.schema"]._zm_grant()

        def can(privilege, relation):
            return self.env.execute_query(
                SQL("SELECT has_table_privilege(%s, %s, %s)", role, f"{S}.{relation}", privilege)
            )[0][0]

        self.assertTrue(can("SELECT", "account"))
        self.assertFalse(can("UPDATE", "account"))
        self.assertTrue(can("INSERT", "session"))
        self.assertTrue(can("INSERT", "account_change"))
        self.assertFalse(can("DELETE", "account_change"))
        self.assertFalse(
            self.env.execute_query(
                SQL("SELECT has_table_privilege(%s, 'public.zm_subscriber', 'SELECT')", role)
            )[0][0]
        )
        # no schema at all where the role could plant a function or a table
        self.assertEqual(
            self.env.execute_query(
                SQL(
                    "SELECT nspname FROM pg_namespace "
                    "WHERE has_schema_privilege(%s, oid, 'CREATE')",
                    role,
                )
            ),
            [],
        )
        # a role name that is no plain identifier falls back instead of failing the update
        self.env["ir.config_parameter"].sudo().set_param("zm_radius.bridge_role", "zm-bridge")
        with self.assertLogs("odoo.addons.zm_radius.models.zm_radius_schema", "ERROR"):
            self.assertEqual(self.env["zm.radius.schema"]._zm_bridge_role(), "zm_bridge")
        # the role and its grants go with the test's transaction

    def test_uninstall_leaves_no_provider(self):
        """After uninstall a bridge finds no contract and its role no right; the session
        records stay."""
        role = "zm_bridge_uninstall_test"
        self.env.cr.execute(f'CREATE ROLE "{role}" NOLOGIN')
        self.env["ir.config_parameter"].sudo().set_param("zm_radius.bridge_role", role)
        self.env["zm.radius.schema"]._zm_grant()
        uninstall_hook(self.env)  # what Odoo runs before dropping the add-on's tables

        def one(query, *args):
            return self.env.execute_query(SQL(query, *args))[0][0]

        self.assertEqual(one(f"SELECT count(*) FROM {S}.contract_version"), 0)
        self.assertIsNone(one("SELECT to_regclass(%s)", f"{S}.account"))
        self.assertIsNone(one("SELECT to_regprocedure(%s)", f"{S}.history_partition(int, int)"))
        self.assertFalse(one("SELECT has_schema_privilege(%s, %s, 'USAGE')", role, S))
        self.assertFalse(one("SELECT has_table_privilege(%s, %s, 'SELECT')", role, f"{S}.session"))
        self.assertIsNotNone(one("SELECT to_regclass(%s)", f"{S}.session_history"))

    def test_housekeeping(self):
        """Read feed rows and login-log rows past the retention go, in batches; a second
        run finds nothing; recent rows and a retention of 0 keep everything."""
        cr = self.env.cr
        cr.execute(f"DELETE FROM {S}.account_change")
        cr.execute(
            f"INSERT INTO {S}.account_change (username, changed_at, txid) "
            "SELECT 'old' || i, now() - interval '2 days', '3'::xid8 "
            "FROM generate_series(1, 5) i"
        )
        cr.execute(f"INSERT INTO {S}.account_change (username) VALUES ('fresh')")
        cr.execute(
            f"INSERT INTO {S}.auth_log (at, username, nas_id, method, result, reason) "
            "SELECT now() - make_interval(days => d), 'u', 1, 'pap', 'reject', 'x' "
            "FROM unnest(ARRAY[400, 200, 181, 10, 0]) d"
        )
        Schema = self.env["zm.radius.schema"]
        self.assertEqual(Schema._cron_housekeeping(batch=3), (3, 3))
        self.assertEqual(Schema._cron_housekeeping(batch=3), (2, 0))
        self.assertEqual(Schema._cron_housekeeping(), (0, 0))

        def count(table):
            return self.env.execute_query(SQL(f"SELECT count(*) FROM {S}.{table}"))[0][0]

        self.assertEqual((count("account_change"), count("auth_log")), (1, 2))
        self.env["ir.config_parameter"].sudo().set_param("zm_radius.auth_log_days", "0")
        cr.execute(
            f"INSERT INTO {S}.auth_log (at, username, nas_id, method, result, reason) "
            "VALUES (now() - interval '900 days', 'u', 1, 'pap', 'reject', 'x')"
        )
        self.assertEqual(Schema._cron_housekeeping(), (0, 0))

    def test_company_of_account_and_nas(self):
        """Contract 4: the account carries its company and the NAS its own, so the bridge lets
        a subscriber online only through their company's NAS; a NAS shared on purpose by the
        group's companies carries none. A manager decides that on the NAS form."""
        account = self._subscriber("rad-company", package_id=self.monthly.id)
        self.assertEqual(self._row(account)["company_id"], self.company.id)

        def nas_company():
            rows = self.env.execute_query_dict(
                SQL(f"SELECT company_id FROM {S}.nas WHERE id = %s", self.nas.id)
            )
            return rows[0]["company_id"]

        self.assertEqual(nas_company(), self.company.id)
        other = self.env["res.company"].create({"name": "ZM Radius Other ISP"})
        # a manager of this company only may neither share the NAS with the others, nor
        # give it to one, nor make a shared one
        self.manager.write({"company_ids": [Command.set(self.company.ids)]})
        nas = self.nas.with_user(self.manager)
        for vals in ({"serve_all_companies": True}, {"company_id": other.id}):
            with self.assertRaises(AccessError):
                nas.write(vals)
        with self.assertRaises(AccessError):
            nas.create({"name": "shared", "ip": "192.0.2.77", "secret": "s",
                        "company_id": self.company.id, "serve_all_companies": True})  # fmt: skip
        nas.write({"name": "renamed", "serve_all_companies": False})  # no change: allowed
        self.assertEqual(nas_company(), self.company.id)
        # nor copy a shared NAS into a new shared one, nor change or delete a shared one
        shared = self.nas.sudo().copy(
            {"ip": "192.0.2.78", "secret": "s", "serve_all_companies": True}
        )
        mine = shared.with_user(self.manager)
        self.assertFalse(mine.copy({"ip": "192.0.2.79", "secret": "s"}).serve_all_companies)
        with self.assertRaises(AccessError):
            mine.copy({"ip": "192.0.2.80", "secret": "s", "serve_all_companies": True})
        for vals in ({"ip": "192.0.2.81"}, {"secret": "other"}, {"active": False},
                     {"vendor": "huawei"}, {"coa_port": 9999}, {"strip_realm": True},
                     {"require_message_authenticator": False}):  # fmt: skip
            with self.assertRaises(AccessError):
                mine.write(vals)
        with self.assertRaises(AccessError):
            mine.unlink()
        mine.write({"note": "checked"})  # what it serves is not at stake
        # a shared NAS is known by its address: one known only by its NAS-Identifier would
        # lose its traffic to any NAS made later at the address it sends from
        with self.assertRaises(ValidationError):
            shared.write({"ip": False, "nas_identifier": "shared-bras"})
        # a manager of every company decides it, on the form (multi-company: it shows)
        self.manager.write(
            {
                "company_ids": [Command.set(self.env["res.company"].search([]).ids)],
                "groups_id": [Command.link(self.env.ref("base.group_multi_company").id)],
            }
        )
        with Form(self.nas.with_user(self.manager)) as form:
            form.serve_all_companies = True
        self.env.flush_all()
        self.assertIsNone(nas_company())
        # an archived company is a company too: its subscribers may come back
        dormant = self.env["res.company"].create({"name": "ZM Radius Dormant ISP"})
        dormant.active = False
        with self.assertRaises(AccessError):
            self.nas.with_user(self.manager).write({"serve_all_companies": False})
        # an operator may not share a NAS with other companies
        with self.assertRaises(AccessError):
            self.nas.with_user(self.operator).write({"serve_all_companies": False})

    def test_update_keeps_shared_nas_serving(self):
        """The update to contract 4 marks a NAS shared when other companies' subscribers
        used it in the last 40 days (rows of then carry names only), so nobody is cut off;
        a NAS only its own company used stays its own."""
        other = self.env["res.company"].create({"name": "ZM Radius Migrated ISP"})
        area = self.env["zm.area"].create({"name": "Other area", "company_id": other.id})
        theirs = self.env["zm.subscriber"].create(
            {"name": "mig-theirs", "area_id": area.id, "company_id": other.id}
        )
        mine = self._subscriber("mig-mine")
        lonely = self.nas.copy({"name": "Own only", "ip": "192.0.2.88", "secret": "x"})
        hotspot = self.nas.copy({"name": "Hotspot", "ip": "192.0.2.89", "secret": "x"})
        self.env.cr.execute(
            SQL(
                f"INSERT INTO {S}.auth_log (at, username, nas_id, method, result, reason, "
                "account_id) VALUES (now(), %s, %s, 'pap', 'accept', 'normal', NULL)",
                theirs.name, hotspot.id,
            )
        )  # fmt: skip
        for nas, account, days in ((self.nas, theirs, 3), (lonely, mine, 3), (lonely, theirs, 50)):
            self.env.cr.execute(
                SQL(
                    f"SELECT {S}.history_partition(extract(year FROM d)::int, "
                    "extract(month FROM d)::int) FROM (SELECT now() - make_interval(days => %s) "
                    "AS d) x",
                    days,
                )
            )
            self.env.cr.execute(
                SQL(
                    f"INSERT INTO {S}.session_history (nas_id, acct_session_id, username, "
                    "started_at, updated_at, last_seen_at, interim_interval, stopped_at, "
                    "closed_by) VALUES (%s, %s, %s, now() - make_interval(days => %s), now(), "
                    "now(), 300, now() - make_interval(days => %s), 'stop')",
                    nas.id, f"mig-{nas.id}-{account.id}", account.name, days, days,
                )
            )  # fmt: skip
        path = os.path.join(os.path.dirname(__file__), "..", "migrations", "18.0.1.1.0",
                            "post-migrate.py")  # fmt: skip
        spec = importlib.util.spec_from_file_location("zm_radius_post_migrate_1_1", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with self.assertLogs("zm_radius_post_migrate_1_1", "WARNING") as logs:
            module.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertTrue(self.nas.serve_all_companies)
        self.assertTrue(hotspot.serve_all_companies)  # logins only, no accounting
        self.assertFalse(lonely.serve_all_companies)
        self.assertIn(self.nas.name, logs.output[0])
        self.assertIn("Serve all companies", self.nas.message_ids[0].body)

    def test_account_id_trigger_serves_the_contract_tables_only(self):
        """The trigger function that gives a row its account reads Odoo's table as its
        owner: no other role may attach it to a trigger of its own (with a column type and
        cast of its making it would run that cast as the owner), and on any table but the
        contract's it refuses to run."""
        cr = self.env.cr
        cr.execute("SELECT has_function_privilege('public', %s, 'EXECUTE')",
                   [f"{S}.odoo_account_id()"])  # fmt: skip
        self.assertFalse(cr.fetchone()[0])
        cr.execute("CREATE TEMP TABLE zm_probe (username text, account_id bigint)")
        cr.execute(
            "CREATE TRIGGER zm_probe BEFORE INSERT ON zm_probe FOR EACH ROW "
            f"EXECUTE FUNCTION {S}.odoo_account_id()"
        )
        with (
            self.assertRaises(psycopg2.errors.RaiseException),
            mute_logger("odoo.sql_db"),
            cr.savepoint(),
        ):
            cr.execute("INSERT INTO zm_probe VALUES ('x', NULL)")

    def test_update_keeps_odoo_triggers_that_did_not_change(self):
        """A module update does not drop and make again the change-feed triggers on
        Odoo's tables (a dropped trigger locks zm_subscriber and account_move_line against
        the bridge's reads until the update commits); one that differs is made again."""
        query = SQL(
            "SELECT t.tgname, t.tgrelid::regclass::text, t.oid FROM pg_trigger t "
            "WHERE t.tgname LIKE %s AND t.tgname <> 'zm_radius_account_id' "
            "ORDER BY 1, 2",
            "zm\\_radius\\_%",
        )
        before = self.env.execute_query(query)
        self.assertGreaterEqual(len(before), 6)
        schema = self.env["zm.radius.schema"]
        schema._zm_triggers()
        self.assertEqual(self.env.execute_query(query), before)
        # a trigger someone changed is put back as the contract wants it
        cr = self.env.cr
        cr.execute("DROP TRIGGER zm_radius_account_added ON zm_subscriber")
        cr.execute(
            "CREATE TRIGGER zm_radius_account_added AFTER INSERT ON zm_subscriber "
            f"FOR EACH ROW EXECUTE FUNCTION {S}.odoo_account_changed()"
        )
        schema._zm_triggers()
        cr.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'zm_radius_account_added'"
        )
        self.assertIn("AFTER INSERT OR DELETE", cr.fetchone()[0])
        self.assertFalse(
            self.env.execute_query(
                SQL("SELECT 1 FROM pg_trigger WHERE tgname = 'zm_radius_probe_trigger'")
            )
        )

    def test_update_leaves_the_bridges_tables_unlocked(self):
        """A module update does not drop and make again the triggers on the bridge's own
        tables (which would hold its inserts until the update commits): they stay as made."""
        query = SQL(
            "SELECT t.oid FROM pg_trigger t WHERE t.tgname = 'zm_radius_account_id' "
            "AND t.tgrelid = ANY(%s::regclass[]) ORDER BY t.oid",
            [f"{S}.session", f"{S}.session_history", f"{S}.auth_log"],
        )
        before = self.env.execute_query(query)
        self.assertEqual(len(before), 3)
        self.env["zm.radius.schema"]._zm_create_tables()
        self.assertEqual(self.env.execute_query(query), before)
