"""Read-side queries of the dialogue domain; every one goes through policy.visible() with an explicit viewer."""
