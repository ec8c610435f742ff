"""Discovery for the workflow example: its filter and steps become `--filter reviewed`,
`flow step mark_reviewed` and `flow step promote` when flow runs in this folder."""

from review_filters import reviewed  # noqa: F401
from review_steps import mark_reviewed, promote  # noqa: F401
