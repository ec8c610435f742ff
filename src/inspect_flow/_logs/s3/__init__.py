"""The S3 backend: conditional PUTs and multipart uploads that stay invisible until completed."""
