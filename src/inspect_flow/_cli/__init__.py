"""The `flow` command line: click commands only (parse, call the library once, render)."""
