"""The stock FreeRADIUS 3.2 + rlm_sql PostgreSQL setup the bridge is compared with."""
