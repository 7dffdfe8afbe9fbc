from odoo.exceptions import ValidationError

from zm_rules.md4 import nt_hash

from .common import ZmBroadbandCase


class TestSubscriberPassword(ZmBroadbandCase):
    def test_nt_hash_follows_password(self):
        """The password's NT hash is stored as hex, follows changes and clears with it."""
        subscriber = self._subscriber("hash1", password="password")
        self.assertEqual(subscriber.nt_hash, "8846f7eaee8fb117ad06bdd830b7586c")
        subscriber.password = "Secret1"
        self.assertEqual(subscriber.nt_hash, nt_hash("Secret1").hex())
        subscriber.password = False
        self.assertFalse(subscriber.nt_hash)

    def test_set_password_field(self):
        """The write-only password field stores the password and is never read back."""
        subscriber = self._subscriber("hash2", new_password="password")
        self.assertEqual(subscriber.password, "password")
        self.assertEqual(subscriber.nt_hash, "8846f7eaee8fb117ad06bdd830b7586c")
        self.assertFalse(subscriber.new_password)
        self.assertTrue(subscriber.has_password)

    def test_imported_hash_without_password(self):
        """An account imported with only an NT hash keeps it, normalised to lower case."""
        subscriber = self._subscriber("import1", nt_hash="8846F7EAEE8FB117AD06BDD830B7586C")
        self.assertFalse(subscriber.password)
        self.assertEqual(subscriber.nt_hash, "8846f7eaee8fb117ad06bdd830b7586c")
        self.assertTrue(subscriber.has_password)

    def test_bad_imported_hash_refused(self):
        """An imported NT hash that is not 32 hex digits is refused."""
        with self.assertRaises(ValidationError):
            self._subscriber("import2", nt_hash="not-a-hash")
