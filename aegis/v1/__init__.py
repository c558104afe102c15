"""Generated from proto/aegis/v1 by scripts/gen_python.sh (`make generate`). Do not edit."""
