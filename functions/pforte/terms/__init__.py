"""Terms of use: uploads, the current version, acceptance."""
