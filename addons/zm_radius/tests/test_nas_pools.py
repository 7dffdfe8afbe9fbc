import logging

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from psycopg2 import IntegrityError

from .common import ZmRadiusCommon


@tagged("post_install", "-at_install")
class TestNasAndPools(ZmRadiusCommon):
    """NAS (B3) and IP pools (B1) as operators and managers meet them."""

    def test_nas_is_known_by_ip_or_identifier(self):
        """A NAS needs an address or an identifier; both are unique; bad input is refused."""
        Nas = self.env["zm.nas"]
        base = {"name": "x", "secret": "s", "company_id": self.company.id}
        with self.assertRaises(ValidationError):
            Nas.create(base)
        with self.assertRaises(ValidationError):
            Nas.create({**base, "ip": "300.1.1.1"})
        with self.assertRaises(ValidationError):
            Nas.create({**base, "nas_identifier": "bad\x00id"})
        nas = Nas.create({**base, "ip": " 192.0.2.11 "})
        self.assertEqual(nas.ip, "192.0.2.11")
        self.assertTrue(Nas.create({**base, "nas_identifier": "hotspot-7"}))
        # an IPv4-mapped IPv6 address is kept as the IPv4 address the packets come from
        self.assertEqual(Nas.create({**base, "ip": "::ffff:192.0.2.12"}).ip, "192.0.2.12")

    def test_secret_is_for_managers(self):
        """Operators see the NAS of their areas but never its secret."""
        nas = self.nas.with_user(self.operator)
        self.assertEqual(nas.name, "Test NAS")
        with self.assertRaises(AccessError):
            nas.read(["secret"])
        with self.assertRaises(AccessError):
            nas.write({"name": "renamed"})
        # the test's user is a broadband manager
        self.assertEqual(self.nas.secret, "s3cret")

    def test_secrets_never_reach_the_log(self):
        """A refused statement is logged with its values: the NAS secret and the account's
        password are never among them."""
        records = []

        class Capture(logging.Handler):
            def emit(self, record):
                records.append(record.getMessage())

        capture = Capture()
        sql_logger = logging.getLogger("odoo.sql_db")
        saved = (sql_logger.handlers, sql_logger.propagate)
        sql_logger.handlers, sql_logger.propagate = [capture], False
        try:
            attempts = (
                lambda: self.env["zm.nas"].create(
                    {"name": "dup", "ip": "192.0.2.10", "secret": "LEAK-nas-create",
                     "company_id": self.company.id}
                ),
                lambda: self.env["zm.nas"].create(
                    {"name": "other", "ip": "192.0.2.99", "secret": "s",
                     "company_id": self.company.id}
                ).write({"ip": "192.0.2.10", "secret": "LEAK-nas-write"}),
                lambda: self.env["zm.subscriber"].create(
                    {"name": "leak-1", "area_id": 987654321, "password": "LEAK-password",
                     "company_id": self.company.id}
                ),
            )  # fmt: skip
            for attempt in attempts:
                with self.assertRaises(IntegrityError), self.env.cr.savepoint():
                    attempt()
                    self.env.flush_all()
        finally:
            sql_logger.handlers, sql_logger.propagate = saved
        self.assertTrue(records)  # the refused statements were logged ...
        self.assertFalse([r for r in records if "LEAK" in r])  # ... without the secrets
        # and a secret written alone still lands, for managers only
        nas = self.env["zm.nas"].create(
            {"name": "n2", "ip": "192.0.2.98", "secret": "first", "company_id": self.company.id}
        )
        nas.write({"secret": "second"})
        self.assertEqual(nas.secret, "second")
        with self.assertRaises(AccessError):
            nas.with_user(self.operator).write({"secret": "third"})

    def test_pool_precedence(self):
        """Package pool before area pool before the company-wide one; a deeper area wins."""
        south = self._subscriber("pool-south", area_id=self.area_south.id)
        north = self._subscriber("pool-north")
        self.assertEqual(self._row(south)["pool_normal"], "t-south")
        self.assertEqual(self._row(north)["pool_normal"], "t-normal")
        sub_area = self.env["zm.area"].create(
            {"name": "South 1", "parent_id": self.area_south.id, "company_id": self.company.id}
        )
        deep = self.env["zm.ip.pool"].create(
            {
                "name": "t-south-1",
                "company_id": self.company.id,
                "area_ids": [Command.set(sub_area.ids)],
            }
        )
        self.assertTrue(deep)
        deeper = self._subscriber("pool-south-1", area_id=sub_area.id)
        self.assertEqual(self._row(deeper)["pool_normal"], "t-south-1")
        package_pool = self.env["zm.ip.pool"].create(
            {
                "name": "t-monthly",
                "company_id": self.company.id,
                "package_ids": [Command.set(self.monthly.ids)],
            }
        )
        self.assertTrue(package_pool)
        with_package = self._subscriber("pool-pkg", area_id=sub_area.id, package_id=self.monthly.id)
        self.assertEqual(self._row(with_package)["pool_normal"], "t-monthly")
        with self.assertRaises(ValidationError):
            self.env["zm.ip.pool"].create({"name": "two words", "company_id": self.company.id})

    def test_pool_candidates(self):
        """Only active pools of the account's company, package and area tree are candidates;
        among equals the sequence decides; each family fills its own columns."""
        Pool = self.env["zm.ip.pool"]
        south = self._subscriber("cand-south", area_id=self.area_south.id, package_id=self.small.id)
        self.assertEqual(self._row(south)["pool_normal"], "t-south")
        # a pool of another package, of an area outside the account's tree, archived: never
        Pool.create(
            {
                "name": "t-other-package",
                "company_id": self.company.id,
                "package_ids": [Command.set(self.monthly.ids)],
            }
        )
        Pool.create(
            {
                "name": "t-north-only",
                "company_id": self.company.id,
                "area_ids": [Command.set(self.area.ids)],
                "sequence": 1,
            }
        )
        archived = Pool.create(
            {
                "name": "t-archived",
                "company_id": self.company.id,
                "package_ids": [Command.set(self.small.ids)],
            }
        )
        archived.active = False
        self.assertEqual(self._row(south)["pool_normal"], "t-south")
        # two pools of the same rank: the lower sequence wins
        Pool.create(
            {
                "name": "t-south-first",
                "company_id": self.company.id,
                "area_ids": [Command.set(self.area_south.ids)],
                "sequence": 5,
            }
        )
        self.assertEqual(self._row(south)["pool_normal"], "t-south-first")
        # IPv6 and delegated-prefix pools land in their own columns, each kind apart
        Pool.create({"name": "v6-normal", "family": "ipv6", "company_id": self.company.id})
        Pool.create(
            {"name": "pd-expired", "family": "ipv6_prefix", "kind": "expired",
             "company_id": self.company.id}
        )  # fmt: skip
        row = self._row(south)
        self.assertEqual(
            (
                row["pool6_normal"],
                row["pool6_expired"],
                row["pd_pool_expired"],
                row["pool_expired"],
            ),
            ("v6-normal", None, "pd-expired", "t-expired"),
        )
        self.assertIsNone(row["pd_pool_normal"])
        # another company's pools never serve this company's accounts
        other = self.env["res.company"].create({"name": "Other ISP"})
        Pool.create({"name": "t-other-co", "company_id": other.id, "sequence": 0})
        self.assertEqual(self._row(south)["pool_normal"], "t-south-first")

    def test_forms(self):
        """A manager makes a NAS and a pool in their forms."""
        with Form(self.env["zm.nas"]) as form:
            form.name = "Form NAS"
            form.ip = "192.0.2.99"
            form.secret = "abc"
        self.assertEqual(form.record.vendor, "standard")
        with Form(self.env["zm.ip.pool"]) as form:
            form.name = "form-pool"
        self.assertEqual(form.record.kind, "normal")
