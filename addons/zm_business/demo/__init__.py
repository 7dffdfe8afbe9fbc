from . import zm_business_demo
