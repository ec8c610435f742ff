"""Regenerate the example logs in examples/logs (offline): ``python examples/make_logs.py``."""

import shutil
from pathlib import Path

from inspect_ai import eval

HERE = Path(__file__).parent

if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(HERE))
    from tasks import addition, greeting

    out = HERE / "logs"
    shutil.rmtree(out, ignore_errors=True)
    eval([addition(), greeting()], model="mockllm/model", display="none", log_dir=str(out / "dev"))
    eval(
        addition(),
        model="mockllm/model",
        display="none",
        log_dir=str(out / "dev"),
        log_format="json",
    )
