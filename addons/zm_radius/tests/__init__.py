from . import test_contract, test_first_dial, test_isolation, test_nas_pools, test_ui
