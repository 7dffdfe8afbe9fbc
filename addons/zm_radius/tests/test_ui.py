from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL

from zm_rules import contract

S = contract.SCHEMA


@tagged("post_install", "-at_install")
class TestOperatorTour(HttpCase):
    """A clerk in a real browser: the account's online session, unbind, the login log -
    of their own area only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = env.company
        if not company.chart_template:
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        cls.area = env["zm.area"].create({"name": "Tour RADIUS Area", "company_id": company.id})
        other = env["zm.area"].create({"name": "Tour RADIUS Other", "company_id": company.id})
        nas = env["zm.nas"].create(
            {"name": "Tour NAS", "ip": "192.0.2.77", "secret": "tour", "company_id": company.id}
        )
        cls.mine = env["zm.subscriber"].create(
            {"name": "tour-rad-mine", "area_id": cls.area.id, "company_id": company.id}
        )
        theirs = env["zm.subscriber"].create(
            {"name": "tour-rad-theirs", "area_id": other.id, "company_id": company.id}
        )
        for account, ip in ((cls.mine, "100.64.1.1"), (theirs, "100.64.2.2")):
            env.cr.execute(
                SQL(
                    f"INSERT INTO {S}.session (nas_id, acct_session_id, username, started_at, "
                    "updated_at, last_seen_at, interim_interval, framed_ip, account_id) "
                    "VALUES (%s, %s, %s, now(), now(), now(), 300, %s, %s)",
                    nas.id,
                    f"tour-{account.id}",
                    account.name,
                    ip,
                    account.id,
                )
            )
            env.cr.execute(
                SQL(
                    f"INSERT INTO {S}.auth_log (at, username, nas_id, method, result, reason, "
                    "account_id) VALUES (now(), %s, %s, 'pap', 'reject', 'bad password', %s)",
                    account.name,
                    nas.id,
                    account.id,
                )
            )
        env.cr.execute(
            SQL(
                f"INSERT INTO {S}.first_dial (username, first_dial_at, mac) "
                "VALUES (%s, now(), 'aabbcc000001')",
                cls.mine.name,
            )
        )
        cls.clerk = new_test_user(
            env, login="zm_tour_rad_clerk", password="zm_tour_rad_clerk",
            groups="zm_broadband.group_operator",
        )  # fmt: skip
        cls.clerk.zm_area_ids = [Command.set(cls.area.ids)]

    def test_operator_tour(self):
        url = f"/odoo/action-zm_broadband.zm_subscriber_action/{self.mine.id}"
        self.start_tour(url, "zm_radius_operator_tour", login="zm_tour_rad_clerk")
        self.mine.invalidate_recordset()
        self.assertFalse(self.mine.dial_mac)
        rows = self.env.execute_query(
            SQL(f"SELECT mac FROM {S}.first_dial WHERE username = %s", self.mine.name)
        )
        self.assertEqual(rows, [(None,)])  # the fact stays: the period started once
