"""Read-side queries of the archive; every statement goes through policy.visible() with the viewer passed in."""
