from datetime import timedelta

from odoo.addons.zm_broadband.tools.expiry import EXPIRY_STATES

from .common import ZmBroadbandCase


class TestExpiryState(ZmBroadbandCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.zm_expiring_days = 7
        cls.subs = {
            "normal": cls._subscriber("s-normal", expiry_at=cls._in_days(30)),
            "no_expiry": cls._subscriber("s-internal", property="internal"),
            "expiring": cls._subscriber("s-expiring", expiry_at=cls._in_days(3)),
            "expired": cls._subscriber("s-expired", expiry_at=cls._in_days(-1)),
            "paused": cls._subscriber("s-paused", state="paused", expiry_at=cls._in_days(-5)),
            "cancelled": cls._subscriber("s-cancelled", state="cancelled"),
            "waiting": cls._subscriber("s-waiting", state="waiting"),
        }
        cls.all_subs = cls.env["zm.subscriber"].union(*cls.subs.values())

    def test_computed_values(self):
        """Each account's status follows its state, expiry and the company window."""
        expected = {
            "normal": "normal",
            "no_expiry": "normal",
            "expiring": "expiring",
            "expired": "expired",
            "paused": "paused",
            "cancelled": "cancelled",
            "waiting": "waiting",
        }
        for key, status in expected.items():
            self.assertEqual(self.subs[key].expiry_state, status, key)

    def test_search(self):
        """Searching the status uses the same rule, with =, !=, in and not in."""
        Subscriber = self.env["zm.subscriber"]
        domain = [("id", "in", self.all_subs.ids)]
        self.assertEqual(
            Subscriber.search(domain + [("expiry_state", "=", "expired")]), self.subs["expired"]
        )
        self.assertEqual(
            Subscriber.search(domain + [("expiry_state", "in", ["expiring", "expired"])]),
            self.subs["expiring"] | self.subs["expired"],
        )
        self.assertEqual(
            Subscriber.search(domain + [("expiry_state", "=", "normal")]),
            self.subs["normal"] | self.subs["no_expiry"],
        )
        self.assertEqual(len(Subscriber.search(domain + [("expiry_state", "!=", "normal")])), 5)
        self.assertEqual(
            len(Subscriber.search(domain + [("expiry_state", "not in", ["normal", "paused"])])), 4
        )

    def test_window_is_a_company_setting(self):
        """Shrinking the expiring window turns a 3-day account back to normal."""
        self.company.zm_expiring_days = 2
        self.env.invalidate_all()
        self.assertEqual(self.subs["expiring"].expiry_state, "normal")
        found = self.env["zm.subscriber"].search(
            [("id", "in", self.all_subs.ids), ("expiry_state", "=", "expiring")]
        )
        self.assertFalse(found)

    def test_read_group(self):
        """Accounts can be grouped by status in lists, counted by the SQL expression."""
        groups = self.env["zm.subscriber"]._read_group(
            [("id", "in", self.all_subs.ids)], ["expiry_state"], ["__count"]
        )
        self.assertEqual(
            groups,
            [
                ("waiting", 1),
                ("normal", 2),
                ("expiring", 1),
                ("expired", 1),
                ("paused", 1),
                ("cancelled", 1),
            ],
            "grouped and ordered as the selection",
        )
        legacy = self.env["zm.subscriber"].read_group(
            [("id", "in", self.all_subs.ids)], ["expiry_state"], ["expiry_state"]
        )
        counts = {g["expiry_state"]: g["expiry_state_count"] for g in legacy}
        self.assertEqual(counts["normal"], 2)
        self.assertTrue(
            self.env["zm.subscriber"].fields_get(["expiry_state"])["expiry_state"]["groupable"]
        )
        self.assertTrue(
            self.env["zm.subscriber"].fields_get(["expiry_state"])["expiry_state"]["searchable"]
        )

    def test_search_agrees_with_group_by(self):
        """Search and group-by give each account the same status at every window boundary,
        in two companies with different expiring windows."""
        other = self.env["res.company"].create({"name": "Other ISP", "zm_expiring_days": 30})
        north = self.env["zm.area"].create({"name": "North", "code": "T-N", "company_id": other.id})
        self.env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
        now = self.env.cr.fetchone()[0].replace(microsecond=0)
        minute, day = timedelta(minutes=1), timedelta(days=1)
        offsets = [-day, -minute, timedelta(0), minute, 10 * day]
        for window in (7 * day, 30 * day):
            offsets += [window - minute, window, window + minute]
        Subscriber = self.env["zm.subscriber"]
        accounts = Subscriber
        for company, area in ((self.company, self.area_east), (other, north)):
            base = {"area_id": area.id, "company_id": company.id}
            values = [{"state": "active", "expiry_at": now + offset} for offset in offsets]
            values += [{"state": "active"}, {"state": "paused", "expiry_at": now - day}]
            values += [{"state": "waiting"}, {}]
            values += [{"state": "cancelled", "expiry_at": now + day}]
            accounts |= Subscriber.create(
                [
                    {**base, **vals, "name": f"agree-{company.id}-{i}"}
                    for i, vals in enumerate(values)
                ]
            )
        domain = [("id", "in", accounts.ids)]
        grouped = {
            status: set(ids)
            for status, ids in Subscriber._read_group(domain, ["expiry_state"], ["id:array_agg"])
        }
        for status, __ in EXPIRY_STATES:
            found = Subscriber.search(domain + [("expiry_state", "=", status)])
            self.assertEqual(set(found.ids), grouped.get(status, set()), status)
            others = Subscriber.search(domain + [("expiry_state", "!=", status)])
            self.assertEqual(set(others.ids), set(accounts.ids) - grouped.get(status, set()))
        # the windows really differ: ten days out is normal here, expiring there
        in_ten_days = accounts.filtered(lambda s: s.expiry_at == now + 10 * day)
        self.assertEqual(
            {s.company_id: s.expiry_state for s in in_ten_days},
            {self.company: "normal", other: "expiring"},
        )
        self.assertEqual(len(grouped["expired"]), 6, "a day, a minute and zero before now")
