from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

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
