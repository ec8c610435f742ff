"""The storage seam: the only package touching log files (local disk, S3) and inspect_ai log I/O."""
