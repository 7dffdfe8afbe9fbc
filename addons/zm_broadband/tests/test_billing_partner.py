from .common import ZmBroadbandCase


class TestBillingPartner(ZmBroadbandCase):
    def test_one_commercial_partner_per_account(self):
        """Two accounts of one customer get two billing partners, each its own commercial
        partner, so their receivables and balances never merge."""
        room1 = self._subscriber("t-hotel-101", customer_id=self.customer.id)
        room2 = self._subscriber("t-hotel-102", customer_id=self.customer.id)
        partners = room1.partner_id | room2.partner_id
        self.assertEqual(len(partners), 2)
        for subscriber in room1 | room2:
            partner = subscriber.partner_id
            self.assertFalse(partner.parent_id)
            self.assertEqual(partner.commercial_partner_id, partner)
            self.assertEqual(partner.zm_customer_id, self.customer)
            self.assertEqual(partner.email, "desk@hotel.test")
        self.assertEqual(room1.partner_id.name, "t-hotel-101 (Grand Hotel)")
        self.assertEqual(self.customer.zm_account_partner_ids, partners)
        self.assertEqual(self.customer.zm_subscriber_count, 2)

    def test_partner_follows_account(self):
        """Renaming the account or changing its customer renames its billing partner."""
        subscriber = self._subscriber("walkin")
        self.assertEqual(subscriber.partner_id.name, "walkin")
        self.assertFalse(subscriber.partner_id.zm_customer_id)
        subscriber.write({"name": "walkin2", "customer_id": self.customer.id, "phone": "138"})
        self.assertEqual(subscriber.partner_id.name, "walkin2 (Grand Hotel)")
        self.assertEqual(subscriber.partner_id.zm_customer_id, self.customer)
        self.assertEqual(subscriber.partner_id.phone, "138")

    def test_operator_creates_partner(self):
        """An operator opening an account gets the billing partner without partner rights."""
        subscriber = (
            self.env["zm.subscriber"]
            .with_user(self.operator)
            .create(
                {
                    "name": "op-made",
                    "area_id": self.area_east_1.id,
                    "customer_id": self.customer.id,
                }
            )
        )
        self.assertTrue(subscriber.partner_id)
        self.assertEqual(subscriber.sudo().partner_id.commercial_partner_id, subscriber.partner_id)
