from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tools import mute_logger
from psycopg2.errors import UniqueViolation

from .common import ZmBroadbandCase


class TestPackage(ZmBroadbandCase):
    def test_service_product_created(self):
        """A new package sells a service product with its name, code, price and taxes."""
        product = self.package.product_id
        self.assertTrue(product)
        self.assertEqual(product.type, "service")
        self.assertEqual(product.name, "100M monthly")
        self.assertEqual(product.default_code, "T-M100")
        self.assertEqual(product.lst_price, 100.0)
        self.assertEqual(product.taxes_id, self.tax)
        self.assertFalse(product.purchase_ok)
        self.assertEqual(product.company_id, self.company)

    def test_service_product_follows_package(self):
        """Changing name, price, taxes or archiving a package changes its product."""
        tax_9 = self.env["account.tax"].create(
            {
                "name": "VAT 9% broadband",
                "amount": 9.0,
                "type_tax_use": "sale",
                "tax_group_id": self.tax_group.id,
            }
        )
        self.package.write(
            {
                "name": "100M monthly (new)",
                "price": 88.0,
                "tax_ids": [fields.Command.set(tax_9.ids)],
            }
        )
        product = self.package.product_id
        self.assertEqual(product.name, "100M monthly (new)")
        self.assertEqual(product.lst_price, 88.0)
        self.assertEqual(product.taxes_id, tax_9)
        self.package.active = False
        self.assertFalse(product.active)

    def test_copy_gets_own_product(self):
        """A copied package sells its own product, not the original's."""
        copy = self.package.copy()
        self.assertTrue(copy.product_id)
        self.assertNotEqual(copy.product_id, self.package.product_id)
        self.assertFalse(copy.code)

    def test_each_kind(self):
        """Every package kind of B5 can be created with its own limits."""
        Package = self.env["zm.package"]
        for kind in ("year", "quarter", "month", "day"):
            package = Package.create({"name": kind, "kind": kind, "period_mode": "natural"})
            self.assertEqual(package.kind, kind)
        hourly = Package.create(
            {
                "name": "2 h a day",
                "kind": "hour",
                "quota_period": "day",
                "quota_hours": 2,
                "period_count": 30,
            }
        )
        traffic = Package.create(
            {"name": "50 GB a month", "kind": "traffic", "quota_period": "month", "quota_gb": 50}
        )
        self.assertEqual((hourly.quota_hours, traffic.quota_gb), (2, 50))

    def test_quota_constraints(self):
        """Hourly and traffic packages need their quota; bad quotas are refused."""
        Package = self.env["zm.package"]
        with self.assertRaises(ValidationError):
            Package.create({"name": "h", "kind": "hour", "quota_period": "day"})
        with self.assertRaises(ValidationError):
            Package.create({"name": "t", "kind": "traffic", "quota_period": "month"})
        with self.assertRaises(ValidationError):
            Package.create({"name": "h", "kind": "hour", "quota_period": "day", "quota_hours": 25})
        with self.assertRaises(ValidationError):
            Package.create({"name": "n", "kind": "month", "period_count": 0})
        with self.assertRaises(ValidationError):
            Package.create({"name": "s", "kind": "month", "session_limit": 0})

    def test_sold_in_areas(self):
        """A package limited to an area is sold in its sub-areas and nowhere else."""
        self.package.area_ids = self.area_east_1
        self.assertTrue(self.package._is_sold_in(self.area_east_1a))
        self.assertFalse(self.package._is_sold_in(self.area_east))
        self.assertFalse(self.package._is_sold_in(self.area_west))
        with self.assertRaises(ValidationError):
            self._subscriber("far", area_id=self.area_west.id)
        self.package.area_ids = False
        self.assertTrue(self.package._is_sold_in(self.area_west))


class TestRateTemplate(ZmBroadbandCase):
    def test_rates_positive_and_burst_not_below_rate(self):
        """Rates must be positive and a burst, when set, at least the rate."""
        Template = self.env["zm.rate.template"]
        with self.assertRaises(ValidationError):
            Template.create({"name": "zero", "up_kbps": 0, "down_kbps": 1000})
        with self.assertRaises(ValidationError):
            Template.create(
                {"name": "b", "up_kbps": 1000, "down_kbps": 1000, "burst_down_kbps": 500}
            )
        ok = Template.create(
            {"name": "ok", "up_kbps": 1000, "down_kbps": 1000, "burst_down_kbps": 2000}
        )
        self.assertEqual(ok.burst_down_kbps, 2000)

    def test_vendor_profiles(self):
        """A template carries one profile name per vendor."""
        self.rate.profile_ids = [
            fields.Command.create({"vendor": "huawei", "profile_name": "qos-100m"}),
            fields.Command.create({"vendor": "mikrotik", "profile_name": "plan100"}),
        ]
        self.assertEqual(self.rate._zm_profile_name("huawei"), "qos-100m")
        self.assertFalse(self.rate._zm_profile_name("zte"))
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation), self.cr.savepoint():
            self.env["zm.rate.template.profile"].create(
                {"template_id": self.rate.id, "vendor": "huawei", "profile_name": "again"}
            )


class TestPromotion(ZmBroadbandCase):
    def test_applicability(self):
        """Buy 12 months get 2: applies from 12 units, within dates, to its packages."""
        promotion = self.env["zm.promotion"].create(
            {
                "name": "12+2",
                "package_ids": [fields.Command.set(self.package.ids)],
                "buy_count": 12,
                "bonus_type": "months",
                "bonus_value": 2,
                "date_from": "2026-01-01",
                "date_to": "2026-12-31",
            }
        )
        june = fields.Date.to_date("2026-06-01")
        self.assertTrue(promotion._is_applicable(self.package, 12, june))
        self.assertFalse(promotion._is_applicable(self.package, 11, june))
        self.assertFalse(
            promotion._is_applicable(self.package, 12, fields.Date.to_date("2027-01-01"))
        )
        other = self.env["zm.package"].create({"name": "other", "kind": "year"})
        self.assertFalse(promotion._is_applicable(other, 12, june))

    def test_constraints(self):
        """A promotion needs a positive bonus and ordered dates."""
        Promotion = self.env["zm.promotion"]
        with self.assertRaises(ValidationError):
            Promotion.create({"name": "x", "bonus_type": "days", "bonus_value": 0})
        with self.assertRaises(ValidationError):
            Promotion.create(
                {
                    "name": "x",
                    "bonus_type": "money_off",
                    "bonus_value": 10,
                    "date_from": "2026-02-01",
                    "date_to": "2026-01-01",
                }
            )


class TestPackageUnlink(ZmBroadbandCase):
    def test_unused_product_deleted_with_package(self):
        """Deleting a package that never sold deletes its service product too."""
        package = self.env["zm.package"].create({"name": "gone", "kind": "day"})
        product = package.product_id
        package.unlink()
        self.assertFalse(product.exists())

    def test_invoiced_product_archived(self):
        """A product already on an invoice is archived, not deleted, with its package."""
        package = self.env["zm.package"].create({"name": "sold", "kind": "day", "price": 5})
        product = package.product_id
        self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [fields.Command.create({"product_id": product.id})],
            }
        )
        package.unlink()
        self.assertTrue(product.exists())
        self.assertFalse(product.active)
