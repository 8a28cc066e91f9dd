// Placeholder until the first ZooLoaders file lands.
