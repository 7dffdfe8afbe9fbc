from odoo.exceptions import UserError
from odoo.tools import mute_logger
from psycopg2.errors import UniqueViolation

from .common import ZmBroadbandCase


class TestArea(ZmBroadbandCase):
    def test_complete_name_follows_hierarchy(self):
        """An area's full name lists its ancestors and follows a rename of a parent."""
        self.assertEqual(self.area_east_1a.complete_name, "East / East 1 / Block A")
        self.area_east.name = "City East"
        self.assertEqual(self.area_east_1a.complete_name, "City East / East 1 / Block A")
        self.assertEqual(self.area_east_1a.display_name, "City East / East 1 / Block A")

    def test_no_cycle(self):
        """An area cannot become a descendant of itself."""
        with self.assertRaises(UserError):
            self.area_east.parent_id = self.area_east_1a
            self.area_east.flush_recordset()

    def test_child_of_includes_sub_areas(self):
        """Searching subscribers by a parent area finds those of its sub-areas."""
        deep = self._subscriber("deep", area_id=self.area_east_1a.id)
        top = self._subscriber("top")
        west = self._subscriber("west", area_id=self.area_west.id)
        found = self.env["zm.subscriber"].search([("area_id", "child_of", self.area_east.id)])
        self.assertIn(deep, found)
        self.assertIn(top, found)
        self.assertNotIn(west, found)
        self.assertEqual(self.area_east.subscriber_count, 2)
        self.assertEqual(self.area_east_1.subscriber_count, 1)

    def test_code_unique_per_company(self):
        """Two areas of one company cannot share a code."""
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation), self.cr.savepoint():
            self.env["zm.area"].create({"name": "Other", "code": "T-E"})
