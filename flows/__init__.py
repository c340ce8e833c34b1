"""Service functions: what every entry point (the admin views, jobs, the CLI, later a phone
page or an API) calls to change the registers."""
