"""The step engine: ``@step``, the step context (nesting, deferred all-or-nothing writes), run."""
