"""Config tree of the viralsim command line (YAML files; see viralsim.app)."""
