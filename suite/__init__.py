"""Code of the acceptance suite that is neither a fixture nor a pytest plugin: project facts,
and tools that scripts, benchmarks and fixtures share."""
