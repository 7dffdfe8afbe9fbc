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
