# ruff: noqa: I001 - the order the tables exist in: NAS, pools and the account's new
# columns first; then the session views (they join them); the schema last (its views
# read every column the others add)
from . import zm_ip_pool, zm_nas, zm_subscriber
from . import zm_session
from . import zm_auth_log
from . import zm_radius_schema
