import subprocess
import sys

import pytest

MODULES = ["workdays", "numbering", "chain", "plates", "states", "weights"]


@pytest.mark.parametrize("module", MODULES)
def test_each_manifest_core_loads_no_flask_and_no_database(module):
    code = (
        f"import sys, market.manifests.{module}; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'flask_sqlalchemy', 'sqlalchemy')]; print(bad); assert not bad"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
