"""The library's front door: thin functions over the pipeline stages (`import ltdata` re-exports them)."""
