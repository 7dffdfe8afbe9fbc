from odoo.exceptions import ValidationError

from .common import ZmBroadbandCase


class TestTranslation(ZmBroadbandCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # with en_US inactive Odoo writes every language into en_US too
        cls.env["res.lang"]._activate_lang("en_US")
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["zm_broadband"], ["zh_CN"], overwrite=True)

    def test_labels_and_messages_in_chinese(self):
        """With zh_CN installed, labels and error messages of the add-on are Chinese."""
        Subscriber = self.env["zm.subscriber"].with_context(lang="zh_CN")
        fields = Subscriber.fields_get(["expiry_state", "area_id"])
        self.assertEqual(fields["expiry_state"]["string"], "账号状态")
        self.assertEqual(fields["area_id"]["string"], "区域")
        self._subscriber("zh-user")
        with self.assertRaises(ValidationError) as caught:
            Subscriber.create({"name": "ZH-USER", "area_id": self.area_east.id})
        self.assertIn("不区分大小写", str(caught.exception))

    def test_journal_names_in_chinese(self):
        """The broadband journals are chart data, named in each installed language."""
        company = self.env["res.company"].create({"name": "Chinese ISP"})
        self.env["zm.area"].create({"name": "Area", "company_id": company.id})
        self.env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        journal = company._zm_journal("alipay")
        self.assertEqual(journal.with_context(lang="zh_CN").name, "支付宝")
        self.assertEqual(journal.with_context(lang="en_US").name, "Alipay")
        cash = company._zm_journal("cash")
        self.assertEqual(cash.with_context(lang="en_US").name, "Counter Cash")

    def test_package_name_translation_reaches_product(self):
        """A package renamed in Chinese renames its product in Chinese only."""
        self.package.with_context(lang="zh_CN").name = "100M 包月"
        template = self.package.product_id.product_tmpl_id
        self.assertEqual(template.with_context(lang="zh_CN").name, "100M 包月")
        self.assertEqual(template.with_context(lang="en_US").name, "100M monthly")
