"""The local-disk backend: hidden temp files beside the logs, swapped in with ``os.replace``."""
