"""Asset checks, one module per stage (pure functions the assets yield as check results)."""
