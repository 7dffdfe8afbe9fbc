from . import zm_business_wizard, zm_charge_reject_wizard
