"""The storage seam: the only package that touches log files (local disk, S3) and inspect_ai log I/O."""
